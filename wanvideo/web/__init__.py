"""HTTP routes the app adds beside Gradio's own (starlette only, no gradio import)."""
