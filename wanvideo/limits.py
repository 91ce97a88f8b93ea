"""The provider API's limits on a request and its references (API_NOTES.md).

A module of plain constants with no imports, so the sandboxed media workers can read them
without loading pydantic.
"""

MAX_PROMPT_CHARS = 1500
MAX_REFERENCES = 3
MIN_REFERENCE_SECONDS = 2.0
MAX_REFERENCE_SECONDS = 30.0
MAX_REFERENCE_BYTES = 100 * 1000 * 1000  # "100MB" as the provider documents it
MAX_CALLBACK_URL_CHARS = 2048
