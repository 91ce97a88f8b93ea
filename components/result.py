"""The finished video (elem_id `result-video`) and the task record as JSON."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr


@dataclass
class Result:
    video: gr.Video
    record: gr.JSON


def render() -> Result:
    video = gr.Video(
        label="Result",
        elem_id="result-video",
        buttons=["download"],
        interactive=False,
        autoplay=False,
    )
    with gr.Accordion("Task record", open=False, elem_id="task-record-box"):
        record = gr.JSON(label="Task record", elem_id="task-record")
    return Result(video=video, record=record)


def listen(*_args: object) -> None:
    """Filled by components.status (the generate handler)."""
