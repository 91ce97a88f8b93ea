"""Every sentence a person reads, in English and Chinese (Simplified): one catalogue keyed by id.

The domain returns `Message(id, **params)` instead of assembling sentences; the UI renders it in
the visitor's language. A `Message` *is* a `str` (its English rendering), so logs, JSON answers
and code that only needs English keep working; `render(value, lang)` gives any language.

    msg = Message("input.prompt_empty")
    str(msg)                          # "write a prompt describing the video (it is empty)"
    msg.render("zh-CN")               # "请写一段描述视频的提示词（目前为空）"
    render(msg, negotiate("zh-CN,zh;q=0.9"))
    Message("field.problem", field=Message("field.duration"), problem="...")  # params nest

Messages are stored as id + params (`encode` / `decode`), so a history entry written today
still reads in the visitor's language tomorrow. `negotiate` picks the language the way Gradio's
frontend does (the browser's first language, exact `zh-CN`, else English), so static labels
(`gr.I18n`, translated in the browser) and server-rendered text always agree.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

EN = "en"
ZH = "zh-CN"
LANGUAGES = (EN, ZH)
DEFAULT_LANGUAGE = EN
_MARK = "__msg__"


def negotiate(accept_language: str | None) -> str:
    """The visitor's language from an Accept-Language header: the highest-weighted tag, `zh-CN`
    when it is exactly that (any case), else English. Gradio's frontend decides the same way from
    `navigator.language` (zh-TW, zh-HK and bare zh fall back to English there too)."""
    best, best_q = "", -1.0
    for part in (accept_language or "").split(","):
        tag, _, rest = part.strip().partition(";")
        tag = tag.strip()
        if not tag:
            continue
        q = 1.0
        for option in rest.split(";"):
            name, _, value = option.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = tag, q
    return ZH if best.lower() == ZH.lower() else EN


def _m(en: str, zh: str) -> dict[str, str]:
    return {EN: en, ZH: zh}


CATALOGUE: dict[str, dict[str, str]] = {
    # ------------------------------------------------------------------ money
    "money.credits": _m("{credits} credits", "{credits} 积分"),
    "money.credits_usd": _m("{credits} credits (about ${usd})", "{credits} 积分（约 ${usd}）"),
    "money.amount_usd": _m("{amount} (about ${usd})", "{amount}（约 ${usd}）"),  # CNY 4.80 (about $0.65)
    # ------------------------------------------------------------------ record statuses
    "status.queued": _m("Preparing", "准备中"),
    "status.submitted": _m("Submitted", "已提交"),
    "status.pending": _m("Queued at provider", "服务商排队中"),
    "status.processing": _m("Generating", "生成中"),
    "status.downloading": _m("Saving video", "保存视频中"),
    "status.completed": _m("Done", "完成"),
    "status.failed": _m("Failed", "失败"),
    "status.expired": _m("Expired", "已过期"),
    "status.interrupted": _m("Interrupted", "已中断"),
    "status.needs_key": _m("Needs key", "需要密钥"),
    # ------------------------------------------------------------------ field names
    "field.prompt": _m("Prompt", "提示词"),
    "field.videos": _m("Reference videos", "参考视频"),
    "field.video_urls": _m("Reference video URLs", "参考视频链接"),
    "field.quality": _m("Quality", "画质"),
    "field.aspect_ratio": _m("Aspect ratio", "画面比例"),
    "field.duration": _m("Duration (s)", "时长（秒）"),
    "field.shot_type": _m("Shot type", "镜头类型"),
    "field.callback_url": _m("Callback URL", "回调地址"),
    "field.fix_references": _m(
        "Fix clips automatically (convert, trim to 30 s, shrink)",
        "自动修正片段（转换格式、截取 30 秒、压缩）",
    ),
    "field.reference_starts": _m("Start at (s)", "起始时间（秒）"),
    "field.model": _m("Model", "模型"),
    "field.provider": _m("Provider", "服务商"),
    "field.api_key": _m("API key", "API 密钥"),
    "field.problem": _m("{field}: {problem}", "{field}：{problem}"),
    "text.or": _m("{a} or {b}", "{a} 或 {b}"),
    # A clause used as a sentence: its first letter is capitalised (in languages with case).
    "sentence": _m("{text}", "{text}"),  # capitalised (English)
    "sentence.full": _m("{text}.", "{text}。"),  # capitalised, with its full stop
    # ------------------------------------------------------------------ form input refusals
    "input.prompt_empty": _m(
        "write a prompt describing the video (it is empty)", "请写一段描述视频的提示词（目前为空）"
    ),
    "input.prompt_too_long": _m(
        "the prompt has {count} characters; shorten it to at most {max}",
        "提示词有 {count} 个字符；请缩短到最多 {max} 个",
    ),
    "input.prompt_too_long_for": _m(
        "the prompt has {count} characters; {provider} takes at most {max}: shorten it",
        "提示词有 {count} 个字符；{provider} 最多接受 {max} 个：请缩短",
    ),
    "input.not_http_link": _m(
        "{url} is not an http(s) link; paste a public http:// or https:// URL",
        "{url} 不是 http(s) 链接；请粘贴公开的 http:// 或 https:// 地址",
    ),
    "input.choose_one_of": _m("choose one of {choices}", "请从 {choices} 中选择"),
    "input.is_invalid": _m("is invalid", "无效"),
    "input.link_line": _m(
        "line {number} ({value}) {why}; paste a public https:// link.",
        "第 {number} 行（{value}）{why}；请粘贴公开的 https:// 链接。",
    ),
    "input.link_too_long": _m("is longer than {max} characters", "超过 {max} 个字符"),
    "input.link_spaces": _m("contains spaces", "含有空格"),
    "input.link_invalid": _m("is not a valid web address", "不是有效的网址"),
    "input.link_not_http": _m("is not an http(s) link", "不是 http(s) 链接"),
    "input.link_no_host": _m("has no host name", "没有主机名"),
    "limit.busy": _m(
        "Too many estimates at once: one visitor may run {max} at a time (a few more wait their "
        "turn); wait {seconds} s and try again.",
        "同时进行的估价太多：每位访客一次最多 {max} 个（另有少量可排队等候）；请等待 {seconds} 秒后重试。",
    ),
    "limit.per_minute": _m(
        "Too many estimates: one visitor may ask for at most {max} a minute; wait {seconds} s and try again.",
        "估价次数太多：每位访客每分钟最多 {max} 次；请等待 {seconds} 秒后重试。",
    ),
    "input.links_box_too_big": _m(
        "{lines} lines and {chars} characters; the box takes at most {max_lines} lines and {max_chars} "
        "characters: paste one link per reference (at most {refs})",
        "共 {lines} 行、{chars} 个字符；此框最多 {max_lines} 行、{max_chars} 个字符：每个参考视频一行链接（最多 {refs} 个）",
    ),
    "input.duration_not_number": _m(
        "{value} is not a number of seconds; {choose}", "{value} 不是秒数；{choose}"
    ),
    "input.duration_not_finite": _m(
        "{value} is not a finite number of seconds; {choose}", "{value} 不是有限的秒数；{choose}"
    ),
    "input.duration_not_offered": _m(
        "{seconds} s is not offered by {provider}; {choose}", "{provider} 不提供 {seconds} 秒；{choose}"
    ),
    "input.duration_out_of_range": _m(
        "{seconds} s is out of range; {choose}", "{seconds} 秒超出范围；{choose}"
    ),
    "input.duration_not_whole": _m(
        "{seconds} s is not a whole number of seconds; {choose}", "{seconds} 秒不是整数秒；{choose}"
    ),
    "input.duration_choose": _m("choose {rule}", "请选择 {rule}"),
    "duration.rule_range": _m(
        "a whole number of seconds from {low} to {high}", "{low} 到 {high} 之间的整数秒"
    ),
    "duration.rule_list": _m("{choices} seconds", "{choices} 秒"),
    "input.many": _m("that many", "这么多"),
    "input.starts_not_list": _m(
        "{value} is not a list of seconds; write e.g. 0, 12.5", "{value} 不是秒数列表；请写成例如 0, 12.5"
    ),
    "input.start_not_number": _m(
        "{value} is not a start in seconds; write e.g. 0, 12.5",
        "{value} 不是以秒为单位的起点；请写成例如 0, 12.5",
    ),
    "input.callback_too_long": _m(
        "the callback URL is longer than {max} characters", "回调地址超过 {max} 个字符"
    ),
    "input.callback_not_https": _m(
        "the callback URL must be an https:// address", "回调地址必须是 https:// 地址"
    ),
    "input.callback_internal": _m(
        "the callback URL points to {reason}; use a public https host",
        "回调地址指向{reason}；请使用公开的 https 主机",
    ),
    "links.no_public_address": _m(
        "{provider} has no upload for local files here, and this app has no public https address to "
        "serve them from; paste public links under {urls} instead (the app's owner can set "
        "WAN_PUBLIC_URL to let the app serve them)",
        "{provider} 在这里不支持上传本地文件，而本应用也没有可提供文件的公开 https 地址；请改为在“{urls}”中粘贴公开链接"
        "（应用所有者可以设置 WAN_PUBLIC_URL 让应用提供这些文件）",
    ),
    "links.prepared_not_servable": _m(
        "{provider} has no upload for local files here, so the references the app would fix "
        "(convert, trim, shrink) cannot be sent; give links that need no fixing, or turn off fixing",
        "{provider} 在这里不支持上传本地文件，因此应用需要修正（转换、截取、压缩）的参考视频无法发送；"
        "请提供无需修正的链接，或关闭自动修正",
    ),
    "input.no_callback": _m(
        "{provider} has no per-request callback; leave it empty (the app polls the task)",
        "{provider} 不支持按请求设置回调；请留空（应用会轮询任务）",
    ),
    "input.no_references": _m(
        "add 1 to {max} reference videos (upload files or paste links)",
        "请添加 1 到 {max} 个参考视频（上传文件或粘贴链接）",
    ),
    "input.own_key_needed": _m(
        "This app runs on your own key: open Advanced and paste it into API key",
        "本应用使用你自己的密钥运行：请打开“高级”并粘贴到“API 密钥”中",
    ),
    "choice.unknown_provider": _m(
        "{name} is not offered here; choose one of {names}", "这里不提供 {name}；请从 {names} 中选择"
    ),
    "choice.needs_own_key": _m(
        "{label} needs your own {label} key: paste it under API key (Advanced)",
        "{label} 需要你自己的 {label} 密钥：请粘贴到“API 密钥”（高级）中",
    ),
    "choice.runs_on_own_key": _m(
        "Generating on {label} needs your own {label} key under API key (Advanced).",
        "在 {label} 上生成需要你自己的 {label} 密钥，填在“API 密钥”（高级）中。",
    ),
    "refusal.title": _m("Fix the form first", "请先修改表单"),
    # The titles of Gradio's popups, by kind.
    "toast.error": _m("Error", "错误"),
    "toast.warning": _m("Warning", "警告"),
    "toast.info": _m("Info", "提示"),
    # ------------------------------------------------------------------ spend limits
    "budget.own_key_hint": _m(
        "Paste your own key under Advanced (API callers: pass api_key) to go on.",
        "如需继续，请在“高级”中粘贴你自己的密钥（API 调用方：传入 api_key）。",
    ),
    "budget.visitor_active": _m(
        "You already have {count} generations in flight, the most one visitor may have on this "
        "Space's key; wait for one to finish. {hint}",
        "你已有 {count} 个生成任务在进行，这是每位访客使用本 Space 密钥的上限；请等其中一个完成。{hint}",
    ),
    "budget.visitor_active_one": _m(
        "You already have 1 generation in flight, the most one visitor may have on this "
        "Space's key; wait for one to finish. {hint}",
        "你已有 1 个生成任务在进行，这是每位访客使用本 Space 密钥的上限；请等它完成。{hint}",
    ),
    "budget.visitor_active_here": _m(
        "You already have {count} generations in flight, the most one visitor may have at once "
        "here (WAN_VISITOR_MAX_ACTIVE); wait for one to finish, then generate again.",
        "你已有 {count} 个生成任务在进行，这是每位访客同时可有的上限（WAN_VISITOR_MAX_ACTIVE）；请等其中一个完成后再生成。",
    ),
    "budget.visitor_active_here_one": _m(
        "You already have 1 generation in flight, the most one visitor may have at once here "
        "(WAN_VISITOR_MAX_ACTIVE); wait for it to finish, then generate again.",
        "你已有 1 个生成任务在进行，这是每位访客同时可有的上限（WAN_VISITOR_MAX_ACTIVE）；请等它完成后再生成。",
    ),
    "budget.daily": _m(
        "This Space's daily budget of {limit} is spent ({left} left, this generation needs up to "
        "{amount}); it resets at {resets}. {hint}",
        "本 Space 今日预算 {limit} 已用完（剩余 {left}，本次生成最多需要 {amount}）；将于 {resets} 重置。{hint}",
    ),
    "budget.visitor_daily": _m(
        "Your daily budget on this Space of {limit} is spent ({left} left, this generation needs up "
        "to {amount}); it resets at {resets}. {hint}",
        "你在本 Space 的今日预算 {limit} 已用完（剩余 {left}，本次生成最多需要 {amount}）；将于 {resets} 重置。{hint}",
    ),
    "budget.title": _m("Limit reached", "已达上限"),
    # ------------------------------------------------------------------ disk guards (wanvideo/disk.py)
    "upload.quota": _m(
        "Upload refused: you uploaded {used} MB in the last hour, this one is {size} MB, and one "
        "visitor may upload {limit} MB per hour here ({setting}). Nothing was kept. Try again in "
        "about {minutes} min, or upload shorter or smaller clips.",
        "上传被拒绝：你在过去一小时内已上传 {used} MB，本次 {size} MB，而每位访客每小时最多可上传 {limit} MB"
        "（{setting}）。未保留任何内容。请约 {minutes} 分钟后重试，或上传更短、更小的片段。",
    ),
    "upload.quota_too_big": _m(
        "Upload refused: this file is {size} MB, more than one visitor may upload per hour here "
        "({limit} MB, {setting}). Nothing was kept. Upload a shorter or smaller clip.",
        "上传被拒绝：此文件 {size} MB，超过每位访客每小时可上传的上限（{limit} MB，{setting}）。未保留任何内容。"
        "请上传更短或更小的片段。",
    ),
    "download.disk_low": _m(
        "{what}: the server is low on disk space ({free} MB free; it keeps at least {floor} MB "
        "free, {setting}); the download is tried again later.",
        "{what}：服务器磁盘空间不足（剩余 {free} MB；需至少保留 {floor} MB，{setting}）；稍后会重新下载。",
    ),
    "upload.disk_low": _m(
        "Refused: the server is low on disk space ({free} MB free; it keeps at least {floor} MB "
        "free, {setting}). Nothing was kept. Try again later, or with a smaller clip.",
        "已拒绝：服务器磁盘空间不足（剩余 {free} MB；需至少保留 {floor} MB，{setting}）。未保留任何内容。"
        "请稍后重试，或使用更小的片段。",
    ),
    # ------------------------------------------------------------------ one-click examples
    "example.duet.label": _m("Duet: Ruby sings, Sky dances", "二重唱：Ruby 唱歌，Sky 跳舞"),
    "example.duet.prompt": _m(
        "character1 sings on a rooftop at sunset while character2 dances beside them",
        "日落时分，character1 在屋顶上唱歌，character2 在旁边跳舞",
    ),
    "example.solo.label": _m("Solo for phones: Leaf tells a joke", "竖屏独角戏：Leaf 讲笑话"),
    "example.solo.prompt": _m(
        "character1 tells a joke to the camera in a busy night market, then laughs",
        "character1 在热闹的夜市里对着镜头讲了个笑话，然后笑了起来",
    ),
    "example.trio.label": _m("Trio: who gets the last slice?", "三人行：最后一块归谁？"),
    "example.trio.prompt": _m(
        "character1, character2 and character3 argue about the last slice of pizza in a small "
        "kitchen; character3 takes it while the others are talking",
        "character1、character2 和 character3 在小厨房里争最后一块披萨；趁另外两人说话时，character3 把它拿走了",
    ),
    "refs.rules": _m(
        "{formats}, {low} to {high} s, at most {mb} MB", "{formats}、{low} 到 {high} 秒、最大 {mb} MB"
    ),
    "refs.rules_fps": _m(
        "{formats}, {low} to {high} s, at most {mb} MB, at least {fps} fps",
        "{formats}、{low} 到 {high} 秒、最大 {mb} MB、每秒至少 {fps} 帧",
    ),
    "refs.up_to": _m("up to {value}", "最多 {value}"),
    "refs.length_billed": _m("{length} · billed {billed}", "{length} · 计费 {billed}"),
    "refs.no_preview_yet": _m("no preview until it is prepared", "准备好之前无法预览"),
    "refs.no_preview": _m("no preview", "无预览"),
    "refs.prepared": _m("Prepared: the preview is what the model gets.", "已准备：预览即模型收到的内容。"),
    "refs.preparing": _m("Preparing: {percent}%", "准备中：{percent}%"),
    "refs.will_prepare": _m("Will be prepared ({when}).", "将会准备（{when}）。"),
    "result.download": _m("Download video", "下载视频"),
    "refs.empty": _m(
        "No references yet: upload 1 to 3 clips or paste links.",
        "还没有参考视频：请上传 1 到 3 段片段或粘贴链接。",
    ),
    # ------------------------------------------------------------------ page, banner, form (static)
    "ui.title_md": _m("# Wan 2.6 Reference Video Studio", "# Wan 2.6 参考视频工作室"),
    "ui.intro": _m(
        "Upload 1 to 3 short clips of people, describe the scene with character1, character2, "
        "character3, check the cost, then generate.",
        "上传 1 到 3 段人物短片，用 character1、character2、character3 描述场景，确认费用后再生成。",
    ),
    "banner.demo": _m(
        "**Demo mode: results are simulated.** No API key is configured, so a built-in copy of the "
        "Wan 2.6 API answers every request and returns a sample video. Nothing is charged. "
        "Set `WAN_API_KEY` to use a real provider.",
        "**演示模式：结果是模拟的。** 未配置 API 密钥，因此由内置的 Wan 2.6 API 副本响应每个请求并返回示例视频。"
        "不会收取任何费用。设置 `WAN_API_KEY` 即可使用真实的服务商。",
    ),
    "banner.own_key": _m(
        "**Provider: {provider}. Bring your own key:** open *Advanced* and paste your API key. "
        "It is used only for your own requests and is never stored or logged.",
        "**服务商：{provider}。请使用你自己的密钥：** 打开 *高级* 并粘贴你的 API 密钥。"
        "它只用于你自己的请求，绝不会被保存或记录。",
    ),
    "banner.server_key": _m(
        "**Provider: {provider}.** Generations are paid with this app's key unless you paste your own "
        "under *Advanced* (used only for your requests, never stored or logged). You are charged only "
        "for videos that succeed.",
        "**服务商：{provider}。** 除非你在 *高级* 中粘贴自己的密钥（只用于你的请求，绝不保存或记录），"
        "生成费用由本应用的密钥支付。只有成功生成的视频才会收费。",
    ),
    "form.prompt_placeholder": _m(
        "character1 sings on the roadside while character2 dances beside them",
        "character1 在路边唱歌，character2 在旁边跳舞",
    ),
    "form.count": _m("{count} / {max} characters", "{count} / {max} 个字符"),
    "form.count_over": _m(
        "**{count} / {max} characters**: too long, remove {over}.",
        "**{count} / {max} 个字符**：太长了，请删去 {over} 个。",
    ),
    "form.insert": _m("Insert into the prompt:", "插入到提示词："),
    "form.fix_info": _m(
        "Off: clips are sent as they are, and one the provider would refuse is refused here.",
        "关闭：片段按原样发送，服务商会拒绝的片段在这里就会被拒绝。",
    ),
    "form.urls_placeholder": _m(
        "https://example.com/clip.mp4 (public links, one per line; they come after uploaded files)",
        "https://example.com/clip.mp4（公开链接，每行一个；排在上传的文件之后）",
    ),
    "form.duration_info": _m("{provider}: {rule}", "{provider}：{rule}"),
    "form.shot_type_info": _m(
        "Single shot: one continuous shot. Multi-shot: several cuts between shots. This setting "
        "overrides what the prompt asks for.",
        "单镜头：一个连续镜头。多镜头：多个镜头切换。此设置优先于提示词中的要求。",
    ),
    # The shot types' labels (the API's values stay "single" and "multi").
    "shot.single": _m("Single shot", "单镜头"),
    "shot.multi": _m("Multi-shot", "多镜头"),
    "form.key_info": _m(
        "Used only for your requests; never stored or logged.", "只用于你的请求；绝不保存或记录。"
    ),
    "form.key_demo": _m(
        "Not needed in demo mode (results are simulated). Used only for your requests; never stored or logged.",
        "演示模式下不需要（结果是模拟的）。只用于你的请求；绝不保存或记录。",
    ),
    "form.key_required": _m(
        "Required: this app runs on your own key. Used only for your requests; never stored or logged.",
        "必填：本应用使用你自己的密钥运行。只用于你的请求；绝不保存或记录。",
    ),
    "form.key_optional": _m(
        "Optional: leave empty to use this app's key. Used only for your requests; never stored or logged.",
        "可选：留空则使用本应用的密钥。只用于你的请求；绝不保存或记录。",
    ),
    "form.advanced": _m("Advanced", "高级"),
    "form.callback_placeholder": _m(
        "https://your-server.example/hook (optional, public https only)",
        "https://your-server.example/hook（可选，仅限公开的 https）",
    ),
    "form.callback_info": _m(
        "The provider posts the finished task here.", "服务商会把完成的任务发送到这里。"
    ),
    "form.start_info": _m(
        "where character{index}'s 30 s window starts", "character{index} 的 30 秒窗口从这里开始"
    ),
    "form.generate": _m("Generate", "生成"),
    "form.stop": _m("Stop", "停止"),
    "form.status": _m("Status", "状态"),
    "form.result": _m("Result", "结果"),
    "form.task_record": _m("Task record", "任务记录"),
    "form.examples": _m("Try an example (one click fills the form)", "试试示例（点击一下即可填好表单）"),
    "form.result_empty": _m("The finished video plays here.", "完成的视频会在这里播放。"),
    "history.title": _m("Your generations", "你的生成记录"),
    "history.title_md": _m("## Your generations", "## 你的生成记录"),
    # ------------------------------------------------------------------ cost panel
    "cost.title": _m("Cost estimate", "费用估算"),
    "cost.empty_panel": _m(
        "### Cost estimate\nAdd 1 to 3 reference videos to see what the video will cost.",
        "### 费用估算\n添加 1 到 3 个参考视频即可查看视频的费用。",
    ),
    "cost.empty": _m(
        "Add 1 to 3 reference videos to see what the video will cost.",
        "添加 1 到 3 个参考视频即可查看视频的费用。",
    ),
    "cost.none_yet": _m("No estimate yet.", "暂无估算。"),
    "cost.headline": _m("Cost estimate: {money}", "费用估算：{money}"),
    "cost.headline_fixed": _m("Cost once fixed: {money}", "修正后的费用：{money}"),
    "cost.on_provider": _m("On **{label}**, model `{model}`.", "服务商 **{label}**，模型 `{model}`。"),
    "compare.title": _m("Compare providers", "比较服务商"),
    "compare.head": _m("| Provider | Model | Billed | USD |", "| 服务商 | 模型 | 计费 | 美元 |"),
    "compare.not_offered": _m("not offered", "不提供"),
    "compare.foot": _m(
        "\\* not confirmed by the provider (see the sources). The same references, quality and duration on each.",
        "\\* 未经服务商确认（见来源）。每一行使用相同的参考视频、画质和时长。",
    ),
    "compare.sources": _m("Sources and open points", "来源与待确认事项"),
    "compare.source": _m(
        "{label} ({model}): {source}, as of {when}", "{label}（{model}）：{source}，截至 {when}"
    ),
    "money.rate_credits": _m("{value} credits/s", "每秒 {value} 积分"),
    "money.rate": _m("{amount}/s", "每秒 {amount}"),  # $0.10/s, CNY 0.60/s
    "provider.info": _m(
        "The provider runs your video. Another provider than this app's runs on your own key for it.",
        "服务商负责生成你的视频。选择与本应用不同的服务商时，需要使用你自己在该服务商的密钥。",
    ),
    "provider.info_demo": _m(
        "Demo mode: every provider is simulated here, no key needed.",
        "演示模式：这里的每个服务商都是模拟的，不需要密钥。",
    ),
    "provider.model_info": _m(
        "Price per billed second; the cost panel compares every provider.",
        "每计费秒的价格；费用面板会比较所有服务商。",
    ),
    # Providers' names where they are words ("Demo", a DashScope region); brands stay as they are.
    "provider.demo": _m("Demo (simulated)", "演示（模拟）"),
    "provider.dashscope": _m("Alibaba Cloud DashScope ({region})", "阿里云百炼 DashScope（{region}）"),
    "provider.dashscope_short": _m("DashScope {region}", "百炼 {region}"),
    "region.singapore": _m("Singapore", "新加坡"),
    "region.virginia": _m("Virginia", "弗吉尼亚"),
    "region.beijing": _m("Beijing", "北京"),
    # Where each built-in price table and reference-seconds rule comes from (the [Dn]/[Fn]
    # marks are the sources listed in PROVIDERS.md).
    "source.evolink_prices": _m("EvoLink public catalogue snapshot", "EvoLink 公开价目表快照"),
    "source.evolink_rule": _m(
        "EvoLink docs: 5 s in all, split 5 / 2.5 / 1.65 s per reference",
        "EvoLink 文档：参考视频合计 5 秒，按 5 / 2.5 / 1.65 秒分给每段参考视频",
    ),
    "source.odkkk_prices": _m(
        "odkkk publishes no prices; EvoLink snapshot used (configurable)",
        "odkkk 未公布价格；使用 EvoLink 的价目快照（可配置）",
    ),
    "source.dashscope_prices": _m(
        "Alibaba Model Studio pricing, {where} [D2]", "阿里云百炼模型定价，{where} [D2]"
    ),
    "source.dashscope_flash_prices": _m(
        "Alibaba Model Studio pricing, {where}, flash with audio [D2]",
        "阿里云百炼模型定价，{where}，极速版（含音频）[D2]",
    ),
    "source.where_singapore": _m("International (Singapore)", "国际（新加坡）"),
    "source.where_virginia": _m(
        "Global (Virginia); USD list price not found", "全球（弗吉尼亚）；未找到美元标价"
    ),
    "source.where_beijing": _m("China (Beijing)", "中国（北京）"),
    "source.dashscope_rule": _m(
        "PROVIDERS.md A6: input video seconds capped at 5 s in all [D2]; the split across 2-3 "
        "references is EvoLink's (5 / 2.5 / 1.65 s) [D12], not confirmed by an Alibaba page",
        "PROVIDERS.md A6：输入视频合计最多计 5 秒 [D2]；2-3 段参考视频之间的分配沿用 EvoLink 的"
        "（5 / 2.5 / 1.65 秒）[D12]，未经阿里云页面确认",
    ),
    "source.fal_standard": _m(
        "fal model page: ${p720}/s 720p, ${p1080}/s 1080p [F1]",
        "fal 模型页面：720p 每秒 ${p720}，1080p 每秒 ${p1080} [F1]",
    ),
    "source.fal_flash": _m(
        "fal flash page: half of standard with audio, ${p720}/s 720p, ${p1080}/s 1080p [F11]",
        "fal 极速版页面：含音频的标准版半价，720p 每秒 ${p720}，1080p 每秒 ${p1080} [F11]",
    ),
    "source.fal_rule": _m(
        "PROVIDERS.md B6: fal bills output seconds [F8]; its Wan 2.6 R2V page says nothing about "
        "reference seconds (the 2.7 page bills them [F12]): not confirmed",
        "PROVIDERS.md B6：fal 按输出秒数计费 [F8]；其 Wan 2.6 R2V 页面未提及参考视频秒数"
        "（2.7 版页面会计费 [F12]）：未确认",
    ),
    "source.price_unconfirmed": _m("price not confirmed: {source}", "价格未确认：{source}"),
    "source.rule_unconfirmed": _m(
        "reference seconds rule not confirmed: {source}", "参考视频秒数规则未确认：{source}"
    ),
    # The provider choice's entries: who runs it, and on whose key.
    "choice.simulated": _m("{label} (simulated)", "{label}（模拟）"),
    "choice.own_key": _m("{label} (your own key)", "{label}（使用你自己的密钥）"),
    "choice.this_app": _m("{label} (this app's key)", "{label}（本应用的密钥）"),
    "provider.variant.standard": _m("Standard", "标准"),
    "provider.variant.flash": _m("Flash", "极速"),
    "provider.model_choice": _m("{name}: {rates}", "{name}：{rates}"),
    "provider.rate": _m("{rate} at {quality}", "{quality} {rate}"),
    "provider.reference_hint": _m(
        "1 to {count} clips, one person per clip; their order is character1, character2, character3. "
        "The model copies each person's look and voice. {provider} takes {rules}; with fixing on, any "
        "common video up to {source_mb} MB is converted, turned upright, cut to its {window} s window "
        "from 'Start at' and made to fit first.",
        "1 到 {count} 段片段，每段一个人；顺序依次为 character1、character2、character3。模型会复刻每个人的外貌和声音。"
        "{provider} 接受 {rules}；开启自动修正后，最大 {source_mb} MB 的常见视频会先被转换、摆正、按“起始时间”截取 "
        "{window} 秒并调整到合适大小。",
    ),
    "provider.facts": _m(
        "**{label}**: durations {durations}; references {references}; {files}; {cancel}.",
        "**{label}**：时长 {durations}；参考视频 {references}；{files}；{cancel}。",
    ),
    "provider.files_upload": _m("local files are uploaded", "本地文件会被上传"),
    "provider.files_links": _m(
        "public links only (no upload for local files)", "仅限公开链接（不支持上传本地文件）"
    ),
    "provider.cancel_none": _m("a task cannot be cancelled once created", "任务一旦创建就无法取消"),
    "provider.cancel_queued": _m(
        "a task can be cancelled while it waits in the provider's queue", "任务在服务商队列中等待时可以取消"
    ),
    "cost.only_if_made": _m(
        "Charged only if the video is made; a failed task costs nothing.",
        "只有视频生成成功才收费；失败的任务不收费。",
    ),
    "cost.table_head": _m("| Reference | Length | Billed |", "| 参考视频 | 时长 | 计费 |"),
    "cost.range": _m("{low} to {high}", "{low} 到 {high}"),
    "cost.sends": _m("{length}, sends {sent}", "{length}，发送 {sent}"),
    "cost.seconds": _m("{value} s", "{value} 秒"),
    "media.seconds_range": _m("{low} to {high} s", "{low} 到 {high} 秒"),
    "rec.move_failed": _m("the file could not be moved ({reason})", "无法移动文件（{reason}）"),
    "cost.billed_differs": _m(
        "the provider billed {billed} s; the estimate said {expected} s ({source})",
        "服务商计费 {billed} 秒；估算为 {expected} 秒（{source}）",
    ),
    "cost.unknown": _m("unknown", "未知"),
    "cost.fixed_before_upload": _m("**Fixed before upload**{when}:", "**上传前修正**{when}："),
    "cost.done": _m(" (done)", "（已完成）"),
    "cost.formula": _m(
        "Input {input} + output {output} = **{total} billed** × {rate} at {quality}.",
        "输入 {input} + 输出 {output} = **计费 {total}** × {rate}（{quality}）。",
    ),
    "cost.other_quality": _m("At {quality} instead: {money}.", "改用 {quality}：{money}。"),
    "cost.minimum": _m(
        "The minimum charge of {money} per task applies.", "适用每个任务 {money} 的最低收费。"
    ),
    "cost.prices": _m("Prices as of {when}, source: {source}.", "价格截至 {when}，来源：{source}。"),
    "cost.budget_for_you": _m("{money} for you", "你可用 {money}"),
    "cost.budget_for_everyone": _m("{money} for everyone", "所有人共可用 {money}"),
    "cost.budget_and": _m("{a} and {b}", "{a}，{b}"),
    "cost.budget": _m(
        "Left today on this app's key: {left} (resets at {resets}). Your own key under Advanced has no such limit.",
        "本应用密钥今日剩余：{left}（{resets} 重置）。在“高级”中使用你自己的密钥则没有此限制。",
    ),
    "cost.fix_first": _m("**Fix before generating:**", "**生成前请修改：**"),
    "cost.note": _m("Note: {text}", "注意：{text}"),
    # ------------------------------------------------------------------ status panel
    "view.idle_panel": _m(
        "### Status\nNothing running. Fill in the form and press **Generate**.",
        "### 状态\n没有正在进行的任务。填写表单后点击**生成**。",
    ),
    "view.idle": _m(
        "Nothing running. Fill in the form and press **Generate**.",
        "没有正在进行的任务。填写表单后点击**生成**。",
    ),
    "view.checking": _m("Checking references…", "正在检查参考视频…"),
    "view.starting": _m("Starting…", "正在启动…"),
    "view.checked": _m("✓ References checked: {count}{cost}", "✓ 参考视频已检查：{count} 个{cost}"),
    "view.checked_cost": _m(" (estimate {money})", "（估算 {money}）"),
    "view.preparing": _m("Preparing character{index}: {percent}%", "正在准备 character{index}：{percent}%"),
    "view.prepared": _m(
        "✓ Prepared character{index} ({name}){what}", "✓ 已准备 character{index}（{name}）{what}"
    ),
    "view.uploading": _m(
        "Uploading file {index} of {count}: {percent}%", "正在上传第 {index} / {count} 个文件：{percent}%"
    ),
    "view.upload_bytes": _m("{name}: {sent} of {total}", "{name}：{sent} / {total}"),
    "view.uploaded_one": _m("✓ Uploaded 1 file", "✓ 已上传 1 个文件"),
    "view.uploaded": _m("✓ Uploaded {count} files", "✓ 已上传 {count} 个文件"),
    "view.submitted_step": _m(
        "✓ Submitted: task `{task_id}`{reserved}", "✓ 已提交：任务 `{task_id}`{reserved}"
    ),
    "view.reserved_suffix": _m(", {money} reserved", "，已预留 {money}"),
    "view.waiting": _m("Submitted: waiting for the provider…", "已提交：等待服务商处理…"),
    "view.progress": _m("{word}: {percent}%", "{word}：{percent}%"),
    "view.elapsed": _m("Elapsed {elapsed}{eta}", "已用时 {elapsed}{eta}"),
    "view.eta": _m(" · about {left} left", " · 约剩 {left}"),
    "view.made": _m("✓ Video made by the provider", "✓ 服务商已生成视频"),
    "view.downloading": _m("Downloading the video…", "正在下载视频…"),
    "view.received": _m("{received}{total} received", "已接收 {received}{total}"),
    "view.of_total": _m(" of {total}", " / {total}"),
    "view.done": _m("✓ Done: the video is saved", "✓ 完成：视频已保存"),
    "view.final_charge": _m("Final charge: **{money}**.", "最终费用：**{money}**。"),
    "view.simulated_charge": _m("Simulated final charge: **{money}**.", "模拟最终费用：**{money}**。"),
    "view.charge_pending": _m(
        "Final charge not reported yet; estimated {money}.", "最终费用尚未报告；估算为 {money}。"
    ),
    "view.demo_free": _m(" Demo mode: nothing was really charged.", " 演示模式：实际上没有收取任何费用。"),
    "view.failed": _m("✗ The generation failed", "✗ 生成失败"),
    "view.task_line": _m("Task `{task_id}`{reserved}", "任务 `{task_id}`{reserved}"),
    "view.reserved_dot": _m(" · {money} reserved", " · 已预留 {money}"),
    "view.what_happened": _m("**What happened:** {text}", "**发生了什么：** {text}"),
    "view.what_to_do": _m("**What to do:** {text}", "**怎么办：** {text}"),
    "view.task": _m("**Task:** `{task_id}`", "**任务：** `{task_id}`"),
    "view.no_task": _m("**Task:** none was created.", "**任务：** 未创建。"),
    "view.charged": _m(
        "**Charge:** the video was made, so this task is billed.", "**费用：** 视频已生成，因此该任务会计费。"
    ),
    "view.may_charge": _m(
        "**Charge:** the task may still be running at the provider and would be billed if it succeeds.",
        "**费用：** 任务可能仍在服务商处运行，若成功将会计费。",
    ),
    "view.not_charged": _m(
        "**Charge:** not charged (the provider bills only videos that are made).",
        "**费用：** 未收费（服务商只对生成成功的视频计费）。",
    ),
    "view.stopped": _m("Stopped", "已停止"),
    "view.stopped_before": _m(
        "Stopped before anything was sent: no task was created and nothing will be charged.",
        "在发送任何内容之前已停止：未创建任务，也不会收费。",
    ),
    "view.stopped_watching": _m("Stopped watching", "已停止跟踪"),
    "view.stopped_handed_over": _m(
        "Your request was already handed to the app's background runner: it **will still be submitted "
        "and charged** if the video is made. It appears under History when done.",
        "你的请求已交给应用的后台运行器：如果视频生成成功，它**仍会被提交并计费**。完成后会出现在历史记录中。",
    ),
    "view.stopped_task": _m(
        "Task `{task_id}` **continues** at the provider and **will still be charged{cost}** if the video "
        "is made. The app keeps following it in the background and saves the video: find it under History.",
        "任务 `{task_id}` 在服务商处**继续运行**，如果视频生成成功**仍会收费{cost}**。应用会在后台继续跟踪并保存视频："
        "请在历史记录中查看。",
    ),
    "view.about_cost": _m(" (about {money})", "（约 {money}）"),
    "view.cannot_generate": _m(
        "Cannot generate yet; nothing was sent or charged. {problems}",
        "暂时无法生成；未发送任何内容，也未收费。{problems}",
    ),
    "view.refs_unusable": _m("The references cannot be used as they are.", "参考视频无法按原样使用。"),
    "view.fix_refs_first": _m("✗ Fix the references first", "✗ 请先修正参考视频"),
    "view.ref_not_prepared": _m("✗ A reference could not be prepared", "✗ 有参考视频无法准备"),
    "view.not_started_limit": _m("✗ Not started: a spending limit applies", "✗ 未开始：受消费上限限制"),
    "view.next_in_line": _m("next in the provider's queue", "在服务商队列中排在下一个"),
    "view.ahead": _m("{count} ahead in the provider's queue", "服务商队列中前面还有 {count} 个"),
    "view.cancelled_headline": _m("✗ Cancelled at the provider: not charged", "✗ 已在服务商处取消：未收费"),
    "view.billed": _m(
        "The provider billed **{seconds} s**; the estimate said {expected} s.",
        "服务商计费 **{seconds} 秒**；估算为 {expected} 秒。",
    ),
    "view.billed_differs": _m(
        "⚠ Not as estimated: {difference}. This is logged so the price rules can be corrected.",
        "⚠ 与估算不符：{difference}。已记录，以便修正计价规则。",
    ),
    "view.cancel_label": _m("Cancel task", "取消任务"),
    "view.cancelled": _m("Cancelled", "已取消"),
    "view.cancelled_text": _m(
        "Task `{task_id}` was cancelled at the provider before it started: **not charged**. Generate "
        "again when you are ready.",
        "任务 `{task_id}` 在开始前已在服务商处取消：**未收费**。准备好后可以重新生成。",
    ),
    "view.cancel_failed": _m(
        "{stopped}\n\n**Why it was not cancelled:** {why}", "{stopped}\n\n**未能取消的原因：** {why}"
    ),
    "view.no_such_task": _m(
        "No task of yours has this id: pass the task_id (or record_id) of a task you started.",
        "你没有这个 ID 的任务：请传入你启动的任务的 task_id（或 record_id）。",
    ),
    "view.provider_unreachable": _m("Could not reach the provider", "无法连接服务商"),
    "view.prepare_failed": _m("Could not prepare a clip", "无法准备片段"),
    # ------------------------------------------------------------------ history cards
    "history.empty": _m("Your finished generations will appear here.", "你完成的生成会显示在这里。"),
    "history.play": _m("Play", "播放"),
    "history.download": _m("Download", "下载"),
    "history.remix": _m("Remix", "重新创作"),
    "history.delete": _m("Delete local copy", "删除本地副本"),
    "history.retry": _m("Retry download", "重试下载"),
    "history.resume": _m("Resume with my key", "用我的密钥继续"),
    "history.newer": _m("‹ Newer", "‹ 较新"),
    "history.older": _m("Older ›", "较早 ›"),
    "history.page": _m(
        "Page {page} of {pages} · {count} generations", "第 {page} / {pages} 页 · 共 {count} 个生成"
    ),
    "history.deleted": _m("Local copy deleted", "本地副本已删除"),
    "history.no_poster": _m("No preview", "无预览"),
    "history.estimate": _m("Estimate {money}", "估算 {money}"),
    "history.charged": _m("Charged {money}", "已收费 {money}"),
    "history.billed": _m("Provider billed {seconds} s", "服务商计费 {seconds} 秒"),
    "history.billed_differs": _m("⚠ estimate said {expected} s", "⚠ 估算为 {expected} 秒"),
    "history.provider": _m("{provider} · {model}", "{provider} · {model}"),
    "history.charge_unknown": _m("Charge not reported", "费用未报告"),
    "history.charged_failed": _m("Charged", "已收费"),
    "history.not_charged": _m("Not charged", "未收费"),
    "history.cost_unknown": _m("Cost unknown", "费用未知"),
    "history.settings": _m(
        "{quality} · {ratio} · {duration} s · {shot}",
        "{quality} · {ratio} · {duration} 秒 · {shot}",
    ),
    "history.references": _m("References: {names}", "参考视频：{names}"),
    "history.retry_hint": _m(
        "The video was made but not saved: press Retry download.", "视频已生成但未保存：请点击“重试下载”。"
    ),
    "history.confirm_delete": _m(
        "Delete the saved video from this app? The entry stays in your history.",
        "要从本应用删除已保存的视频吗？该条目仍会保留在你的历史记录中。",
    ),
    "history.not_found": _m(
        "That generation is not in your history any more.", "该生成已不在你的历史记录中。"
    ),
    "history.no_copy": _m("That generation has no local copy to delete.", "该生成没有可删除的本地副本。"),
    "history.deleted_info": _m(
        "The local copy was deleted; the entry stays in your history.",
        "本地副本已删除；该条目仍保留在你的历史记录中。",
    ),
    "history.not_resumable": _m(
        "Only a generation marked 'Needs key' can be resumed.", "只有标记为“需要密钥”的生成才能继续。"
    ),
    "history.resume_key": _m(
        "It could not be resumed: paste the API key it was started with under API key.",
        "无法继续：请在“API 密钥”中粘贴启动它时使用的密钥。",
    ),
    "history.resumed": _m("Resumed: the task is being watched again.", "已继续：正在重新跟踪该任务。"),
    "history.not_retryable": _m(
        "Only a video that was made but could not be saved can be downloaded again.",
        "只有已生成但未能保存的视频才能重新下载。",
    ),
    "history.retrying": _m(
        "Downloading the video again: it appears here when saved.", "正在重新下载视频：保存后会显示在这里。"
    ),
    "history.remixed": _m("Settings copied into the form.", "设置已复制到表单中。"),
    "history.upload_again": _m(
        "Settings reused. Upload the reference files again: {files}",
        "已复用设置。请重新上传参考文件：{files}",
    ),
    # ------------------------------------------------------------------ the runner's record messages
    "rec.not_saved": _m(
        "The video was made (and billed) but could not be saved after several tries: {detail}",
        "视频已生成（并已计费），但多次尝试后仍未能保存：{detail}",
    ),
    "rec.download_from_dashboard": _m(
        "Download it from the provider's dashboard within 24 hours of the task.",
        "请在任务创建后 24 小时内从服务商控制台下载。",
    ),
    "rec.checking": _m("Checking the references", "正在检查参考视频"),
    "rec.checked": _m("References checked", "参考视频已检查"),
    "rec.preparing": _m(
        "Preparing {name} (character{index}, {percent}%)", "正在准备 {name}（character{index}，{percent}%）"
    ),
    "rec.uploading": _m(
        "Uploading {name} ({index}/{count}, {percent}%)", "正在上传 {name}（{index}/{count}，{percent}%）"
    ),
    "rec.submitted": _m("Submitted; waiting for the provider", "已提交；等待服务商处理"),
    "rec.progress": _m("{word} {percent}%{eta}", "{word} {percent}%{eta}"),
    "rec.eta": _m(", about {seconds} s left", "，约剩 {seconds} 秒"),
    "rec.next_in_line": _m("Queued at the provider, next in line", "在服务商处排队，下一个就是"),
    "rec.queue_ahead": _m(
        "Queued at the provider, {ahead} ahead in its queue", "在服务商处排队，前面还有 {ahead} 个"
    ),
    "rec.saving": _m("Saving the video", "正在保存视频"),
    "rec.done": _m("Done; the video is saved", "完成；视频已保存"),
    "rec.resumed": _m("Resumed; checking the task", "已继续；正在检查任务"),
    "rec.retry_download": _m("Trying the download again", "正在重新下载"),
    "rec.cancelled": _m(
        "Cancelled at {provider} before it started; nothing was charged.",
        "已在 {provider} 开始前取消；未收取任何费用。",
    ),
    "rec.generate_again": _m("Generate again when you are ready.", "准备好后可以重新生成。"),
    "rec.deleted": _m("The local copy was deleted.", "本地副本已删除。"),
    "rec.deleted_kept": _m(
        "The local copy was deleted: this app keeps saved videos for {days} days (WAN_KEEP_DAYS).",
        "本地副本已删除：本应用保存视频 {days} 天（WAN_KEEP_DAYS）。",
    ),
    "rec.save_retry": _m(
        "Saving the video failed; trying again in {delay} s.", "保存视频失败；{delay} 秒后重试。"
    ),
    "rec.unreachable_expired": _m(
        "The provider could not be reached for 24 hours; the task and its result link have expired.",
        "24 小时内都无法连接服务商；任务及其结果链接已过期。",
    ),
    "rec.lost_contact": _m(
        "Lost contact with the provider; trying again in {delay} s.", "与服务商失去联系；{delay} 秒后重试。"
    ),
    "rec.stopped_before_create": _m(
        "The generation stopped before the task was created; nothing was charged.",
        "生成在任务创建前就停止了；未收取任何费用。",
    ),
    # ------------------------------------------------------------------ reference checks (media.rules)
    "media.read_slow": _m("reading its headers took too long", "读取文件头耗时过长"),
    "media.read_memory": _m("reading its headers needed too much memory", "读取文件头需要的内存过多"),
    "media.read_crash": _m("reading its headers crashed the reader", "读取文件头时读取器崩溃"),
    "media.read_failed": _m("reading it failed", "读取失败"),
    "media.empty": _m(
        "{name} is empty (0 bytes); choose the video file again",
        "{name} 是空文件（0 字节）；请重新选择视频文件",
    ),
    "media.too_big": _m(
        "{name} is {size}; references must be at most {max}: trim or compress it",
        "{name} 大小为 {size}；参考视频最大 {max}：请剪短或压缩",
    ),
    "media.direct_link": _m("use a direct link to the video file", "请使用视频文件的直接链接"),
    "media.upload_itself": _m("upload the video itself", "请上传视频本身"),
    "media.web_page": _m(
        "{name} is a web page, not a video; {where} ({accepted})",
        "{name} 是网页，不是视频；{where}（{accepted}）",
    ),
    "media.not_video": _m(
        "{name} is {what}, not a video; upload an {accepted} file",
        "{name} 是{what}，不是视频；请上传 {accepted} 文件",
    ),
    "media.in_format": _m("in the {format} format", "{format} 格式"),
    "media.wrong_container": _m(
        "{name} is {what}; upload an {accepted} file", "{name} 是{what}；请上传 {accepted} 文件"
    ),
    "media.implausible": _m(
        "{name} declares {declared} {what} (no real video has more than {max}), so it was not "
        "opened; export the video again as {accepted}",
        "{name} 声明有 {declared} 个 {what}（真实视频不会超过 {max}），因此没有打开它；请重新导出为 {accepted}",
    ),
    "media.unsafe": _m(
        "{name} could not be read safely ({why}); export the video again as {accepted}",
        "无法安全读取 {name}（{why}）；请重新导出为 {accepted}",
    ),
    "media.damaged": _m(
        "{name} is damaged or incomplete (its {what} structure cannot be read); export or download it again",
        "{name} 已损坏或不完整（无法读取其 {what} 结构）；请重新导出或下载",
    ),
    "media.unreadable": _m(
        "{name} is not a video file that can be read; upload an {accepted} file",
        "{name} 不是可读取的视频文件；请上传 {accepted} 文件",
    ),
    "media.not_a_file": _m("{name} is not a file; choose a video file", "{name} 不是文件；请选择视频文件"),
    "media.not_found": _m("{name} was not found; upload it again", "找不到 {name}；请重新上传"),
    "media.could_not_read": _m(
        "could not read {name} ({reason}); upload it again", "无法读取 {name}（{reason}）；请重新上传"
    ),
    "media.fix_choice": _m("Fix clips automatically", "自动修正片段"),
    "media.stray": _m(
        "{name} has {count} stray bytes after the end of its video (players ignore them; the "
        "provider may not); turn on '{fix}' to remux it, or export it again",
        "{name} 在视频结尾后有 {count} 个多余字节（播放器会忽略，服务商可能不会）；请开启“{fix}”重新封装，或重新导出",
    ),
    "media.length_remote": _m(
        "could not read how long {name} lasts without downloading all of it; the cost is shown as a range",
        "不完整下载就无法读取 {name} 的时长；费用以范围显示",
    ),
    "media.audio_only": _m("audio only", "只有音频"),
    "media.no_streams": _m("no streams", "没有任何流"),
    "media.no_video": _m(
        "{name} has no video track ({kind}); upload a video with a picture",
        "{name} 没有视频轨道（{kind}）；请上传有画面的视频",
    ),
    "media.length_unknown": _m(
        "could not read how long {name} lasts; the cost is shown as a range",
        "无法读取 {name} 的时长；费用以范围显示",
    ),
    "media.too_short": _m(
        "{name} lasts {lasts}; references must be {limit} long: use a longer clip",
        "{name} 时长 {lasts}；参考视频必须为 {limit}：请使用更长的片段",
    ),
    "media.too_long": _m(
        "{name} lasts {lasts}; references must be {limit} long: trim it to {max} s or less",
        "{name} 时长 {lasts}；参考视频必须为 {limit}：请剪到 {max} 秒以内",
    ),
    "media.no_audio": _m(
        "{name} has no audio track: the voice cannot be copied", "{name} 没有音轨：无法复刻声音"
    ),
    "media.hevc_preview": _m(
        "only some browsers (Safari, recent Chrome and Edge) can preview it",
        "只有部分浏览器（Safari、较新的 Chrome 和 Edge）可以预览",
    ),
    "media.no_preview": _m("browsers may not preview it", "浏览器可能无法预览"),
    "media.codec": _m(
        "{name} uses {codec} video: {detail}; convert to H.264 for a preview",
        "{name} 使用 {codec} 视频：{detail}；转换为 H.264 即可预览",
    ),
    # ------------------------------------------------------------------ preparation (what fixing does)
    "prep.about_s": _m("about {n} s", "约 {n} 秒"),
    "prep.about_min": _m("about {n} min", "约 {n} 分钟"),
    "prep.converted": _m("converted from {source}", "已从 {source} 转换"),
    "prep.remuxed_from": _m("remuxed from {source}", "已从 {source} 重新封装"),
    "prep.audio": _m("audio converted from {source} to AAC", "音频已从 {source} 转换为 AAC"),
    "prep.remuxed": _m(
        "remuxed without the {count} stray bytes after its end", "已重新封装，去掉结尾后的 {count} 个多余字节"
    ),
    "prep.upright": _m("turned upright (rotated 180°)", "已摆正（旋转 180°）"),
    "prep.portrait": _m("rotated to portrait", "已旋转为竖屏"),
    "prep.landscape": _m("rotated to landscape", "已旋转为横屏"),
    "prep.trimmed": _m("trimmed to {start}-{end} s", "已截取 {start}-{end} 秒"),
    "prep.shrunk": _m("shrunk from {before} to about {after}", "已从 {before} 压缩到约 {after}"),
    "prep.shrunk_done": _m("shrunk from {before} to {after}", "已从 {before} 压缩到 {after}"),
    "prep.fps": _m(
        "frame rate raised from {before} to {after} fps", "帧率已从每秒 {before} 帧提高到 {after} 帧"
    ),
    "prep.scaled": _m("scaled to {width}x{height}", "已缩放到 {width}x{height}"),
    "prep.starts_extra": _m("{given} values for {refs}; {tail}", "{given} 个值对应{refs}；{tail}"),
    "prep.reference": _m("{n} reference", " {n} 个参考视频"),
    "prep.references": _m("{n} references", " {n} 个参考视频"),
    "prep.last_is": _m("the last {n} is ignored", "最后 {n} 个会被忽略"),
    "prep.last_are": _m("the last {n} are ignored", "最后 {n} 个会被忽略"),
    "prep.start_needs_fix": _m(
        "character{index} starts at {start} s, but clips are only trimmed when '{fix}' is on",
        "character{index} 从 {start} 秒开始，但只有开启“{fix}”时才会截取片段",
    ),
    "prep.failed": _m("{detail}. Nothing was sent or charged.", "{detail}。未发送任何内容，也未收费。"),
    "prep.failed_hint": _m(
        "Use another clip, or turn off '{fix}' to send it as it is.",
        "请换一个片段，或关闭“{fix}”按原样发送。",
    ),
    "prep.start_negative": _m(
        "{name}: a start of {start} s is not possible; use 0 or more seconds",
        "{name}：无法从 {start} 秒开始；请使用 0 或更大的秒数",
    ),
    "prep.start_too_late": _m(
        "{name} lasts {lasts} s: a start at {start} s leaves {left} s, and references need at "
        "least {min} s; start at {latest} s or earlier",
        "{name} 时长 {lasts} 秒：从 {start} 秒开始只剩 {left} 秒，而参考视频至少需要 {min} 秒；"
        "请从 {latest} 秒或更早开始",
    ),
    "prep.start_length_unknown": _m(
        "{name}: its length could not be read, so it cannot start at {start} s",
        "{name}：无法读取其时长，因此无法从 {start} 秒开始",
    ),
    "prep.too_big_to_fix": _m(
        "{name} is {size}; clips up to {max} can be fixed here (the provider takes {provider_max}): "
        "trim or compress it first",
        "{name} 大小为 {size}；这里最多能修正 {max} 的片段（服务商接受 {provider_max}）：请先剪短或压缩",
    ),
    # Why preparing a clip failed (media.clips): PrepareError's message.
    "prep.unreadable": _m("{name} could not be read ({reason})", "无法读取 {name}（{reason}）"),
    "prep.download_failed": _m(
        "{name} could not be downloaded to prepare it ({reason})", "无法下载 {name} 来准备它（{reason}）"
    ),
    "prep.still_broken": _m("{name} could not be prepared: {problem}", "{name} 无法准备：{problem}"),
    "prep.could_not": _m(
        "{name} could not be prepared ({reason}); export it again as MP4 (H.264)",
        "{name} 无法准备（{reason}）；请重新导出为 MP4（H.264）",
    ),
    "prep.why_slow": _m("it took longer than allowed", "耗时超过了允许的上限"),
    "prep.why_memory": _m("it needed more memory than allowed", "所需内存超过了允许的上限"),
    "prep.why_crashed": _m("the converter crashed on it", "转换器处理它时崩溃了"),
    "prep.why_stopped": _m("it was stopped", "已被停止"),
    "prep.why_undecodable": _m("its video could not be decoded", "其视频无法解码"),
    "prep.why_too_large": _m("it could not be made small enough", "无法把它压缩到足够小"),
    "prep.why_failed": _m("the converter failed on it", "转换器处理它时失败了"),
    # ------------------------------------------------------------------ references and providers' rules
    "refs.none": _m(
        "add at least one reference video (upload a file or paste a URL)",
        "请至少添加一个参考视频（上传文件或粘贴链接）",
    ),
    "refs.too_many": _m(
        "{count} references given; the model takes at most {max}: remove {remove}",
        "给出了 {count} 个参考视频；模型最多接受 {max} 个：请删去 {remove} 个",
    ),
    "refs.provider_too_big": _m(
        "{name} is {size} MB; {provider} takes at most {max} MB per reference: use a shorter or smaller clip",
        "{name} 大小为 {size} MB；{provider} 每个参考视频最多 {max} MB：请使用更短或更小的片段",
    ),
    "refs.fps": _m(
        "{name} has {fps} fps; {provider} needs at least {min} fps: use a clip with a higher frame rate",
        "{name} 为每秒 {fps} 帧；{provider} 至少需要每秒 {min} 帧：请使用帧率更高的片段",
    ),
    "refs.provider_short": _m(
        "{name} lasts {lasts} s; {provider} takes references of {low} to {high} s",
        "{name} 时长 {lasts} 秒；{provider} 接受 {low} 到 {high} 秒的参考视频",
    ),
    "input.no_model": _m(
        "{provider} has no model {model}; choose {offered}", "{provider} 没有模型 {model}；请选择 {offered}"
    ),
    # ------------------------------------------------------------------ unfinished tasks (watcher.triage)
    "triage.needs_key": _m(
        "This task was started with your own API key, which is not kept; the app restarted, so it "
        "could not keep watching it. Paste the same key under API key and press Resume to fetch the "
        "result (the task kept running at the provider).",
        "此任务使用你自己的 API 密钥启动，而密钥不会被保存；应用重启后无法继续跟踪它。请在“API 密钥”中粘贴同一个密钥并点击"
        "“用我的密钥继续”来获取结果（任务在服务商处一直在运行）。",
    ),
    "triage.expired": _m(
        "Not watched for more than 24 hours; the provider keeps tasks and their result links for 24 "
        "hours only, so it can no longer be fetched.",
        "超过 24 小时未被跟踪；服务商只保留任务及其结果链接 24 小时，因此已无法获取。",
    ),
    "triage.expired_hint": _m("Generate it again if you still need it.", "如果仍然需要，请重新生成。"),
    "triage.interrupted": _m(
        "The app stopped before the provider confirmed this task.", "应用在服务商确认此任务之前就停止了。"
    ),
    "triage.interrupted_hint": _m(
        "If it was created, it is in your provider's task list (idempotency key {key}); otherwise nothing was charged.",
        "如果任务已创建，它会出现在服务商的任务列表中（幂等键 {key}）；否则不会收费。",
    ),
    "triage.other_provider": _m(
        "This task was started with {provider}; the app now uses {now}, so it cannot watch it.",
        "此任务是用 {provider} 启动的；应用现在使用 {now}，因此无法跟踪它。",
    ),
    # ------------------------------------------------------------------ Cancel task
    "cancel.ended": _m("The task has already ended.", "任务已经结束。"),
    "cancel.not_submitted": _m(
        "The task is not at the provider yet (its references are being checked or uploaded); "
        "nothing has been charged. Try again once it is submitted.",
        "任务还没到达服务商（参考视频正在检查或上传）；未收取任何费用。请在提交后再试。",
    ),
    "cancel.not_supported": _m(
        "{provider} has no way to cancel a task here: it runs on and is charged if it succeeds.",
        "{provider} 在这里无法取消任务：它会继续运行，成功后会收费。",
    ),
    "cancel.key_gone": _m(
        "This task was started with your own API key, which is not kept; paste it to cancel.",
        "此任务使用你自己的 API 密钥启动，而密钥不会被保存；请粘贴密钥后再取消。",
    ),
    "cancel.already_ended": _m(
        "The request had already ended ({status}); nothing to cancel.", "请求已经结束（{status}）；无需取消。"
    ),
    "cancel.task_already_ended": _m(
        "The task has already ended ({status}); nothing to cancel.", "任务已经结束（{status}）；无需取消。"
    ),
    "cancel.dashscope_unknown": _m(
        "DashScope no longer knows this task (status UNKNOWN): tasks are kept for 24 hours, and a "
        "task of another region or account reads the same way.",
        "DashScope 已不再记得这个任务（状态 UNKNOWN）：任务只保留 24 小时，其他地域或账号的任务也会显示为这样。",
    ),
    "cancel.dashscope_cancelled": _m(
        "The task was cancelled before it started; nothing was charged.",
        "任务在开始前已取消；未收取任何费用。",
    ),
    "cancel.fal_cancelled": _m(
        "The request was cancelled while it waited in fal's queue; nothing was charged.",
        "请求在 fal 队列中等待时已取消；未收取任何费用。",
    ),
    "cancel.fal_unknown": _m("fal no longer knows this request.", "fal 已不再记得这个请求。"),
    "cancel.fal_started": _m(
        "fal has already started (or finished) this request; it runs on and is charged if it succeeds.",
        "fal 已开始（或完成）这个请求；它会继续运行，成功后会收费。",
    ),
    "cancel.fal_stopping": _m(
        "The request had started: fal was asked to stop it, but it may still finish and be charged.",
        "请求已经开始：已要求 fal 停止，但它仍可能完成并收费。",
    ),
    "cancel.dashscope_running": _m(
        "DashScope cancels only tasks that are still waiting; this one is generating and will be "
        "charged if it succeeds.",
        "DashScope 只能取消仍在等待的任务；这个任务正在生成，成功后会收费。",
    ),
    # ------------------------------------------------------------------ the job's outcomes
    "job.refused_before_sending": _m(
        "The request was refused before sending; nothing was charged.", "请求在发送前被拒绝；未收取任何费用。"
    ),
    "job.references_unusable": _m(
        "The references cannot be used as they are; nothing was sent or charged.",
        "参考视频无法按原样使用；未发送任何内容，也未收费。",
    ),
    "job.upload_failed_detail": _m("Uploading {name} failed: {detail}", "上传 {name} 失败：{detail}"),
    "job.upload_failed": _m(
        "{detail}. Nothing was sent to the model or charged.", "{detail}。未向模型发送任何内容，也未收费。"
    ),
    # The same when the detail is already a sentence (a catalogue message ending in a full stop).
    "job.upload_failed_sentence": _m(
        "{detail} Nothing was sent to the model or charged.", "{detail}未向模型发送任何内容，也未收费。"
    ),
    "job.upload_hint": _m(
        "{hint} You can also paste a public link to the video under Reference video URLs.",
        "{hint} 你也可以在“参考视频链接”中粘贴视频的公开链接。",
    ),
    "job.upload_hint_alone": _m(
        "You can also paste a public link to the video under Reference video URLs.",
        "你也可以在“参考视频链接”中粘贴视频的公开链接。",
    ),
    "job.watch_failed": _m("Watching task {task_id} failed: {detail}", "跟踪任务 {task_id} 失败：{detail}"),
    "job.task_unreadable": _m("Task {task_id} could not be read.", "无法读取任务 {task_id}。"),
    "job.no_video_link": _m(
        "Task {task_id} finished but the provider gave no video link.",
        "任务 {task_id} 已结束，但服务商没有给出视频链接。",
    ),
    "job.look_in_dashboard": _m(
        "Look for the video in the provider's dashboard.", "请在服务商的控制台中查找该视频。"
    ),
    "job.not_saved": _m(
        "The video of task {task_id} was made (and billed) but could not be saved: {detail}",
        "任务 {task_id} 的视频已生成（并已计费），但未能保存：{detail}",
    ),
    "job.task_ended": _m("Task {task_id} {status}.", "任务 {task_id} 状态：{status}。"),
    "job.task_ended_detail": _m(
        "Task {task_id} {status}: {detail}", "任务 {task_id} 状态：{status}：{detail}"
    ),
    "job.task_failed_hint": _m(
        "Nothing was charged; try again, or change the prompt or references.",
        "未收取任何费用；请重试，或修改提示词或参考视频。",
    ),
    "job.create_unclear": _m(
        "Creating the task got no clear answer ({detail}); the task may have been created and would "
        "be billed if it succeeds.",
        "创建任务没有得到明确答复（{detail}）；任务可能已被创建，若成功将会计费。",
    ),
    "job.check_task_list_key": _m(
        "Check the provider's task list before generating again (idempotency key {key}: a retry "
        "with it does not create a second task).",
        "再次生成前请先查看服务商的任务列表（幂等键 {key}：用它重试不会创建第二个任务）。",
    ),
    "job.check_task_list": _m(
        "Check {provider}'s task list before generating again: it has no idempotency key, so "
        "generating again may create (and bill) a second task.",
        "再次生成前请先查看 {provider} 的任务列表：它没有幂等键，再次生成可能会创建（并计费）第二个任务。",
    ),
    "job.not_created": _m("The task was not created: {detail}", "任务未创建：{detail}"),
    "job.unexpected": _m(
        "The generation stopped on an unexpected error ({kind}).", "生成因意外错误（{kind}）而停止。"
    ),
    "job.unexpected_hint": _m(
        "Try again; if it repeats, report it with the server log.",
        "请重试；如果反复出现，请附上服务器日志报告问题。",
    ),
    "job.callback_unresolved": _m(
        "{host} could not be resolved in time; use a public https host",
        "未能及时解析 {host}；请使用公开的 https 主机",
    ),
    "job.callback_points_to": _m(
        "it points to {reason}; use a public https host", "它指向{reason}；请使用公开的 https 主机"
    ),
    "job.not_checked": _m("{name} could not be checked ({kind}).", "无法检查 {name}（{kind}）。"),
    # ------------------------------------------------------------------ talking to the provider (client, adapters)
    # What the client was doing: the {what} that starts the messages below.
    "transport.uploading": _m("Uploading {name}", "上传 {name}"),
    "transport.creating": _m("Creating the task", "创建任务"),
    "transport.reading": _m("Reading task {task_id}", "读取任务 {task_id}"),
    "transport.cancelling": _m("Cancelling task {task_id}", "取消任务 {task_id}"),
    "transport.downloading": _m("Downloading the video", "下载视频"),
    "transport.timeout": _m(
        "{what}: {host} did not answer in time ({kind}).", "{what}：{host} 未能及时响应（{kind}）。"
    ),
    "transport.connection_failed": _m(
        "{what}: the connection to {host} failed ({kind}).", "{what}：连接 {host} 失败（{kind}）。"
    ),
    "transport.not_json": _m(
        "{what}: the provider sent an answer that is not JSON.", "{what}：服务商返回的应答不是 JSON。"
    ),
    "transport.unexpected_task": _m(
        "{what}: the provider sent an unexpected task object.", "{what}：服务商返回了无法识别的任务对象。"
    ),
    "transport.http_status": _m("The provider answered HTTP {status}.", "服务商返回了 HTTP {status}。"),
    "transport.field": _m("{message} (field: {field})", "{message}（字段：{field}）"),
    "transport.deadline": _m(
        "Stopped watching task {task_id} after {minutes} minutes; it is still {status} and may still finish.",
        "已在 {minutes} 分钟后停止跟踪任务 {task_id}；它仍处于 {status} 状态，可能仍会完成。",
    ),
    "transport.deadline_unread": _m(
        "Stopped watching task {task_id} after {minutes} minutes; it is not yet readable and may "
        "still finish.",
        "已在 {minutes} 分钟后停止跟踪任务 {task_id}；暂时还读取不到它，它可能仍会完成。",
    ),
    "transport.fal_no_request_id": _m("{what}: fal sent no request_id.", "{what}：fal 没有返回 request_id。"),
    "transport.fal_unexpected_status": _m(
        "{what}: fal sent an unexpected status.", "{what}：fal 返回了无法识别的状态。"
    ),
    "transport.dashscope_no_output": _m(
        "{what}: DashScope sent no task output.", "{what}：DashScope 没有返回任务输出。"
    ),
    "transport.dashscope_wrong_model": _m(
        "{what}: a reference was uploaded for {bound}; DashScope lets a temporary upload be used "
        "only with the model it was uploaded for, not {model}.",
        "{what}：有参考视频是为 {bound} 上传的；DashScope 的临时上传只能用于上传时指定的模型，"
        "不能用于 {model}。",
    ),
    "transport.dashscope_wrong_model_hint": _m(
        "Generate again: the references are uploaded anew for the chosen model.",
        "请重新生成：参考视频会为所选模型重新上传。",
    ),
    # ------------------------------------------------------------------ uploads (client, adapters)
    "upload.unreadable": _m(
        "{what} failed: the file could not be read ({reason}).", "{what} 失败：无法读取文件（{reason}）。"
    ),
    "upload.grew": _m("{name} grew while it was being uploaded.", "{name} 在上传过程中变大了。"),
    "upload.shrank": _m("{name} shrank while it was being uploaded.", "{name} 在上传过程中变小了。"),
    "upload.fal_no_urls": _m(
        "{what}: fal's storage sent no upload_url or file_url.",
        "{what}：fal 存储没有返回 upload_url 或 file_url。",
    ),
    "upload.fal_refused": _m(
        "{what} failed: fal's storage refused it ({detail}).",
        "{what} 失败：fal 存储拒绝了该文件（{detail}）。",
    ),
    "upload.no_local_files": _m(
        "{what} failed: {provider} has no upload for local files.",
        "{what} 失败：{provider} 不支持上传本地文件。",
    ),
    "upload.no_local_files_hint": _m(
        "Paste a public link to the video under Reference video URLs.",
        "请在“参考视频链接”中粘贴视频的公开链接。",
    ),
    "upload.policy_expiring": _m(
        "{what} failed: DashScope's upload policy kept expiring.",
        "{what} 失败：DashScope 的上传凭证反复过期。",
    ),
    "upload.policy_unexpected": _m(
        "{what}: DashScope sent an unexpected upload policy.", "{what}：DashScope 返回了无法识别的上传凭证。"
    ),
    "upload.too_large": _m(
        "{what} failed: the file is {size} MB; DashScope's temporary upload takes at most {max} MB.",
        "{what} 失败：文件大小为 {size} MB；DashScope 的临时上传最多接受 {max} MB。",
    ),
    "upload.too_large_hint": _m(
        "Use a smaller clip, or paste a public link under Reference video URLs.",
        "请使用更小的片段，或在“参考视频链接”中粘贴公开链接。",
    ),
    "upload.host_status": _m(
        "{what}: DashScope's upload host answered HTTP {status} ({code}).",
        "{what}：DashScope 的上传主机返回了 HTTP {status}（{code}）。",
    ),
    "upload.host_refused": _m(
        "{what} failed: DashScope's upload host refused it ({code}: {reason}).",
        "{what} 失败：DashScope 的上传主机拒绝了该文件（{code}：{reason}）。",
    ),
    "upload.no_code": _m("no code", "无错误代码"),
    "upload.no_reason": _m("no reason given", "未说明原因"),
    "upload.files_host_said": _m("{what} failed: {reason}.", "{what} 失败：{reason}。"),
    "upload.files_host_refused": _m(
        "{what} failed: the files host refused it.", "{what} 失败：文件服务器拒绝了该文件。"
    ),
    "upload.no_file_url": _m(
        "{what} failed: the files host returned no file_url.", "{what} 失败：文件服务器没有返回 file_url。"
    ),
    # ------------------------------------------------------------------ saving the result (client)
    "download.unreadable": _m(
        "The downloaded result could not be read ({reason}).", "下载的结果无法读取（{reason}）。"
    ),
    "download.not_playable": _m(
        "The downloaded result is not a playable video (no video stream or no duration).",
        "下载的结果不是可播放的视频（没有视频流或没有时长）。",
    ),
    "download.partial_mismatch": _m(
        "{what}: the partial download did not match; starting over.",
        "{what}：已下载的部分与服务器上的文件不一致；重新开始下载。",
    ),
    "download.compressed": _m(
        "{what}: the server sent the video {encoding}-compressed, which the app does not unpack.",
        "{what}：服务器发送的视频经过 {encoding} 压缩，本应用不解压这种内容。",
    ),
    "download.too_large": _m(
        "{what}: the result is larger than the {max} MB the app accepts (WAN_MAX_RESULT_MB).",
        "{what}：结果超过本应用接受的 {max} MB 上限（WAN_MAX_RESULT_MB）。",
    ),
    "download.incomplete": _m(
        "{what}: got {received} of {total} bytes.", "{what}：只收到 {total} 字节中的 {received} 字节。"
    ),
    "download.write_failed": _m(
        "{what}: the file could not be written ({reason}).", "{what}：无法写入文件（{reason}）。"
    ),
    # ------------------------------------------------------------------ addresses a link must not reach (urls)
    # The {reason}/{literal} in "points to ..." messages.
    "address.loopback": _m("a loopback address", "环回地址"),
    "address.link_local": _m("a link-local address", "链路本地地址"),
    "address.shared": _m("a shared (carrier-grade NAT) address", "共享地址（运营商级 NAT）"),
    "address.private": _m("a private or reserved address", "私有或保留地址"),
    # ------------------------------------------------------------------ fetching a visitor's link (netguard, media.remote)
    # Why a guarded fetch failed: the {reason} in the links.* and prep.* messages.
    "fetch.not_public": _m("the link does not lead to a public server", "该链接没有指向公开服务器"),
    "fetch.no_answer": _m("no answer in time", "没有及时响应"),
    "fetch.timeout": _m("no answer within {seconds} s", "{seconds} 秒内没有响应"),
    "fetch.unreachable": _m("the server could not be reached", "无法连接到服务器"),
    "fetch.not_http": _m("not an http(s) link", "不是 http(s) 链接"),
    "fetch.bad_redirect": _m("a redirect to an invalid link", "重定向到了无效链接"),
    "fetch.too_many_redirects": _m("more than {max} redirects", "重定向超过 {max} 次"),
    "fetch.broke_off": _m("the download broke off", "下载中断了"),
    "fetch.too_large": _m("larger than {max} bytes", "大于 {max} 字节"),
    "fetch.server_status": _m("the server answered HTTP {status}", "服务器返回了 HTTP {status}"),
    "fetch.http": _m("HTTP {status}", "HTTP {status} 错误"),
    "fetch.partial_status": _m("HTTP {status} on a partial read", "部分读取时返回了 HTTP {status}"),
    "fetch.wrong_bytes": _m(
        "the server answered a partial read with the wrong bytes", "服务器对部分读取返回了错误的字节"
    ),
    # What a reference link's check says when its fetch failed (media.remote).
    "links.points_to": _m(
        "{name} points to {literal} ({host}); only public links can be used",
        "{name} 指向{literal}（{host}）；只能使用公开链接",
    ),
    "links.not_public": _m(
        "could not use {name}: the link does not lead to a public server; paste a public http(s) link",
        "无法使用 {name}：该链接没有指向公开服务器；请粘贴公开的 http(s) 链接",
    ),
    "links.leads_to_not_http": _m(
        "could not use {name}: it leads to a link that is not http(s); paste a direct http(s) link",
        "无法使用 {name}：它指向的链接不是 http(s) 链接；请粘贴直接的 http(s) 链接",
    ),
    "links.fetch_failed": _m(
        "could not fetch {name} ({reason}); check the link and try again",
        "无法获取 {name}（{reason}）；请检查链接后重试",
    ),
    "links.fetch_check_public": _m(
        "could not fetch {name} ({reason}); check the link is public",
        "无法获取 {name}（{reason}）；请确认链接是公开的",
    ),
    "links.not_http_url": _m(
        "{url} is not an http(s) link; paste a public http(s) URL",
        "{url} 不是 http(s) 链接；请粘贴公开的 http(s) 地址",
    ),
    "links.read_failed": _m("could not read {name} ({kind}); try again", "无法读取 {name}（{kind}）；请重试"),
    # ------------------------------------------------------------------ error suggestions (by class)
    "suggest.connection": _m("Check the network connection and try again.", "请检查网络连接后重试。"),
    "suggest.timeout": _m(
        "The provider is slow to answer; try again in a minute.", "服务商响应缓慢；请一分钟后重试。"
    ),
    "suggest.bad_request": _m("Change the named setting and try again.", "请修改所指出的设置后重试。"),
    "suggest.auth": _m(
        "Check the API key: it is missing, wrong or expired.", "请检查 API 密钥：它缺失、错误或已过期。"
    ),
    "suggest.quota": _m("Top up credits with the provider, then try again.", "请在服务商处充值后重试。"),
    "suggest.permission": _m(
        "This key has no access to wan2.6-reference-video; enable the model for it.",
        "此密钥无权使用 wan2.6-reference-video；请为它开通该模型。",
    ),
    "suggest.not_found": _m(
        "The task or file no longer exists (tasks and links expire after 24 hours).",
        "任务或文件已不存在（任务和链接在 24 小时后过期）。",
    ),
    "suggest.too_large": _m(
        "Use shorter or smaller reference videos ({limits} each).",
        "请使用更短或更小的参考视频（每个 {limits}）。",
    ),
    "suggest.rate_limit": _m(
        "Too many requests; wait a minute and try again.", "请求过多；请等一分钟后重试。"
    ),
    "suggest.server": _m(
        "The provider has a problem; try again in a few minutes.", "服务商出现问题；请几分钟后重试。"
    ),
    "suggest.upload": _m(
        "Try again, or paste a public link to the video under Reference video URLs.",
        "请重试，或在“参考视频链接”中粘贴视频的公开链接。",
    ),
    "suggest.download": _m(
        "The result could not be saved; the app retries, or download it from the provider.",
        "结果未能保存；应用会重试，你也可以从服务商处下载。",
    ),
    "suggest.deadline": _m(
        "The task may still finish at the provider; check it again later with its task id.",
        "任务可能仍会在服务商处完成；请稍后用任务 ID 再查看。",
    ),
    # ------------------------------------------------------------------ task error codes
    "code.content_policy_violation": _m(
        "Change the prompt or the reference videos; they were refused by the content policy.",
        "请修改提示词或参考视频；它们被内容政策拒绝。",
    ),
    "code.invalid_parameters": _m(
        "A setting was refused; check the references ({limits}).",
        "某项设置被拒绝；请检查参考视频（{limits}）。",
    ),
    "code.image_processing_error": _m(
        "A reference could not be processed; try another file.", "某个参考视频无法处理；请换一个文件。"
    ),
    "code.image_dimension_mismatch": _m(
        "A reference has unsupported dimensions; try another file.",
        "某个参考视频的尺寸不受支持；请换一个文件。",
    ),
    "code.request_cancelled": _m("The task was cancelled.", "任务已取消。"),
    "code.no_content": _m(
        "The model produced nothing; try another prompt.", "模型没有生成内容；请换一个提示词。"
    ),
    "code.service_error": _m("The provider had a problem; try again later.", "服务商出现问题；请稍后重试。"),
    "code.generation_timeout": _m("The model took too long; try again later.", "模型耗时过长；请稍后重试。"),
    "code.resource_exhausted": _m("The provider is busy; try again later.", "服务商繁忙；请稍后重试。"),
    "code.quota_exceeded": _m("Your quota is used up; top up credits.", "你的额度已用完；请充值。"),
    "code.service_unavailable": _m(
        "The service is unavailable; try again later.", "服务不可用；请稍后重试。"
    ),
    "code.resource_not_found": _m(
        "A reference could not be fetched; check that its link is public.",
        "无法获取某个参考视频；请确认其链接是公开的。",
    ),
    "code.unknown_error": _m("Something went wrong at the provider; try again.", "服务商处出错了；请重试。"),
    # DashScope
    "code.InvalidApiKey": _m(
        "Check the DashScope API key: a key works only in its own region, so WAN_DASHSCOPE_REGION "
        "(singapore, virginia or beijing) must be the key's region.",
        "请检查 DashScope API 密钥：密钥只在其所属地域有效，因此 WAN_DASHSCOPE_REGION"
        "（singapore、virginia 或 beijing）必须是密钥所在的地域。",
    ),
    "code.AccessDenied": _m(
        "This key may not use this API or model in this region; enable wan2.6-r2v for it in Model Studio.",
        "此密钥不能在该地域使用此 API 或模型；请在百炼（Model Studio）中为它开通 wan2.6-r2v。",
    ),
    "code.AccessDenied.Unpurchased": _m(
        "Activate Model Studio (or this model) for the account, then try again.",
        "请为账号开通百炼（Model Studio）或此模型后重试。",
    ),
    "code.Model.AccessDenied": _m(
        "This key has no access to the model; enable it in Model Studio.",
        "此密钥无权使用该模型；请在百炼中开通。",
    ),
    "code.AllocationQuota.FreeTierOnly": _m(
        "The free quota is used up and paid use is off; turn it on in Model Studio.",
        "免费额度已用完且未开启付费使用；请在百炼中开启。",
    ),
    "code.Arrearage": _m(
        "The Alibaba Cloud account is overdue; top it up, then try again.", "阿里云账号已欠费；请充值后重试。"
    ),
    "code.ModelNotFound": _m(
        "The model is not offered in this region; pick another model or region.",
        "该地域不提供此模型；请选择其他模型或地域。",
    ),
    "code.InvalidParameter": _m(
        "A setting was refused; check the size, duration and references, then try again.",
        "某项设置被拒绝；请检查尺寸、时长和参考视频后重试。",
    ),
    "code.InvalidParameter.DataInspection": _m(
        "A reference could not be read by DashScope (a temporary upload expired, or a link it cannot "
        "download from its region); upload the file again or give another public link.",
        "DashScope 无法读取某个参考视频（临时上传已过期，或其所在地域无法下载该链接）；请重新上传文件或换一个公开链接。",
    ),
    "code.InvalidURL": _m(
        "A reference link could not be fetched by DashScope; check that it is public (no login, no expiry).",
        "DashScope 无法获取某个参考链接；请确认它是公开的（无需登录、不会过期）。",
    ),
    "code.InvalidURL.ConnectionRefused": _m(
        "A reference link refused DashScope's connection; use a public host.",
        "某个参考链接拒绝了 DashScope 的连接；请使用公开的主机。",
    ),
    "code.InvalidURL.Timeout": _m(
        "A reference link was too slow for DashScope; use a faster public host.",
        "某个参考链接对 DashScope 来说太慢；请使用更快的公开主机。",
    ),
    "code.DataInspectionFailed": _m(
        "The prompt or a reference was refused by content moderation; change them.",
        "提示词或参考视频未通过内容审核；请修改。",
    ),
    "code.IPInfringementSuspect": _m(
        "The input looks like protected material; use your own characters and prompt.",
        "输入疑似受保护的内容；请使用你自己的角色和提示词。",
    ),
    "code.Throttling": _m(
        "DashScope is limiting requests (5 per second, 5 tasks at once per model); wait a little.",
        "DashScope 正在限流（每秒 5 个请求，每个模型同时 5 个任务）；请稍等。",
    ),
    "code.Throttling.BurstRate": _m(
        "Too many requests at once; wait a few seconds and try again.", "同时请求过多；请等几秒后重试。"
    ),
    "code.Throttling.AllocationQuota": _m(
        "The account's quota for this model is used up for now; try again later.",
        "账号对此模型的额度暂时用完；请稍后重试。",
    ),
    "code.InternalError": _m(
        "DashScope had a problem; try again in a few minutes (failed tasks are not charged).",
        "DashScope 出现问题；请几分钟后重试（失败的任务不收费）。",
    ),
    "code.InternalError.Algo": _m(
        "The model failed on this input; try again, or change the prompt or references.",
        "模型处理此输入失败；请重试，或修改提示词或参考视频。",
    ),
    "code.InternalError.Timeout": _m(
        "The task had no result after 3 hours; try again later (it was not charged).",
        "任务 3 小时后仍无结果；请稍后重试（未收费）。",
    ),
    "code.UnsupportedOperation": _m(
        "DashScope cancels only tasks that are still waiting (PENDING).",
        "DashScope 只能取消仍在等待（PENDING）的任务。",
    ),
    "code.UNKNOWN": _m(
        "Nothing more can be fetched for it; generate it again. If the task is recent, check that "
        "the key and WAN_DASHSCOPE_REGION are the ones it was created with.",
        "已无法获取此任务的更多信息；请重新生成。如果任务是最近创建的，请确认密钥和 WAN_DASHSCOPE_REGION 与创建时一致。",
    ),
    "code.CANCELED": _m(
        "It was cancelled before it started; nothing was charged.", "任务在开始前已取消；未收取任何费用。"
    ),
    # fal
    "code.bad_request": _m(
        "fal refused the request; check the settings and try again.", "fal 拒绝了请求；请检查设置后重试。"
    ),
    "code.request_timeout": _m(
        "fal did not finish the request in time; try again (timeouts are not charged).",
        "fal 未能按时完成请求；请重试（超时不收费）。",
    ),
    "code.startup_timeout": _m(
        "fal could not start a runner in time; try again in a few minutes.",
        "fal 未能及时启动运行节点；请几分钟后重试。",
    ),
    "code.runner_scheduling_failure": _m(
        "fal had no runner free; try again in a few minutes.", "fal 没有空闲的运行节点；请几分钟后重试。"
    ),
    "code.runner_lost": _m(
        "fal lost the runner; try again in a few minutes.", "fal 与运行节点断开；请几分钟后重试。"
    ),
    "code.runner_incomplete_response": _m(
        "fal's runner answered incompletely; try again.", "fal 运行节点的响应不完整；请重试。"
    ),
    "code.runner_server_error": _m(
        "fal's runner failed; try again (server errors are not charged).",
        "fal 运行节点出错；请重试（服务器错误不收费）。",
    ),
    "code.internal_error": _m(
        "fal had a problem; try again in a few minutes.", "fal 出现问题；请几分钟后重试。"
    ),
    "code.client_cancelled": _m(
        "The request was cancelled; nothing was charged.", "请求已取消；未收取任何费用。"
    ),
    "code.client_disconnected": _m("The request was dropped; try again.", "请求被中断；请重试。"),
    "code.exhausted_balance": _m(
        "The fal balance is used up; top it up at fal.ai/dashboard/billing.",
        "fal 余额已用完；请在 fal.ai/dashboard/billing 充值。",
    ),
    "code.file_download_error": _m(
        "fal could not download a reference; check that its link is public.",
        "fal 无法下载某个参考视频；请确认其链接是公开的。",
    ),
    "code.video_duration_too_long": _m(
        "A reference is too long for fal (2 to 30 s); trim it.",
        "某个参考视频对 fal 来说太长（2 到 30 秒）；请剪短。",
    ),
    "code.video_duration_too_short": _m(
        "A reference is too short for fal (2 to 30 s); use a longer clip.",
        "某个参考视频对 fal 来说太短（2 到 30 秒）；请使用更长的片段。",
    ),
    "code.file_too_large": _m(
        "A reference is larger than fal takes (30 MB on the standard model); use a smaller clip.",
        "某个参考视频超过 fal 的上限（标准模型 30 MB）；请使用更小的片段。",
    ),
    "code.video_fps_too_low": _m(
        "A reference has under 16 frames per second; fal needs at least 16.",
        "某个参考视频每秒不足 16 帧；fal 至少需要 16 帧。",
    ),
    "code.unsupported_video_format": _m(
        "A reference is not an mp4 or mov video fal can read; convert it.",
        "某个参考视频不是 fal 能读取的 mp4 或 mov；请转换格式。",
    ),
    "code.string_too_long": _m(
        "A text field is too long for fal; shorten the prompt.", "某个文本字段对 fal 来说太长；请缩短提示词。"
    ),
    "code.literal_error": _m(
        "A setting has a value fal does not offer; pick another.", "某项设置的值 fal 不提供；请另选。"
    ),
    "code.value_error": _m(
        "fal refused a value; check the prompt's @Video names and the settings.",
        "fal 拒绝了某个值；请检查提示词中的 @Video 名称和各项设置。",
    ),
}


class Message(str):
    """A catalogue message with its parameters; as a `str` it is the English text."""

    id: str
    params: dict[str, Any]

    def __new__(cls, id: str, /, **params: Any) -> Message:  # noqa: A002 - the catalogue's word
        if id not in CATALOGUE:
            raise KeyError(f"unknown message id {id!r}")
        self = super().__new__(cls, _format(id, EN, params))
        self.id = id
        self.params = params
        return self

    def render(self, lang: str = EN, escape: Callable[[str], str] | None = None) -> str:
        """The text in `lang`; with `escape`, every value it quotes (at any depth) goes through
        it and the catalogue's own words do not (`wanvideo.escape`: markdown, HTML)."""
        return _format(self.id, lang, self.params, escape)

    def __reduce__(self) -> tuple[Any, ...]:  # pickling keeps id + params
        return (_rebuild, (self.id, self.params))

    def __repr__(self) -> str:
        return f"Message({self.id!r}, {self.params!r})"


def _rebuild(id: str, params: dict[str, Any]) -> Message:  # noqa: A002
    return Message(id, **params)


def _format(
    id: str,  # noqa: A002
    lang: str,
    params: Mapping[str, Any],
    escape: Callable[[str], str] | None = None,
) -> str:
    entry = CATALOGUE[id]
    template = entry.get(lang) or entry[EN]
    text = template.format_map({k: _value(v, lang, escape) for k, v in params.items()})
    return text[:1].upper() + text[1:] if id in ("sentence", "sentence.full") else text


def _value(value: Any, lang: str, escape: Callable[[str], str] | None) -> Any:
    if isinstance(value, Message):
        return value.render(lang, escape)
    if escape is None or isinstance(value, int | float | Decimal):  # numbers carry no markup
        return value
    return escape(str(value))


def render(value: Any, lang: str = EN, escape: Callable[[str], str] | None = None) -> str:
    """Text in `lang`: a Message is rendered, anything else is shown as it is. With `escape`
    (`wanvideo.escape`), the values a Message quotes, or the whole of a plain text, go through it."""
    if isinstance(value, Message):
        return value.render(lang, escape)
    text = "" if value is None else str(value)
    return escape(text) if escape is not None and text else text


ECHO_CHARS = 40  # a visitor's own value quoted in a message: at most this many characters


def echoed(value: Any, limit: int = ECHO_CHARS) -> str:
    """A visitor's own value as a message quotes it: its repr, cut to `limit` characters, so a
    crafted megabyte of input never comes back in a refusal (or a log line)."""
    text = str(value).strip()
    return repr(text if len(text) <= limit else text[:limit] + "…")


def either(items: list[Any] | tuple[Any, ...]) -> Any:
    """ "a or b or c" in any language (one item: itself)."""
    if not items:
        return ""
    result: Any = str(items[0])
    for item in items[1:]:
        result = Message("text.or", a=result, b=str(item))
    return result


def t(id: str, lang: str, /, **params: Any) -> str:  # noqa: A002
    """A catalogue message rendered in `lang` (for views that write text, not return messages)."""
    return Message(id, **params).render(lang)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def encode(value: Any) -> Any:
    """JSON-ready: every Message (also inside dicts and lists) as {"__msg__": id, "params": ...}."""
    if isinstance(value, Message):
        return {_MARK: value.id, "params": {k: encode(v) for k, v in value.params.items()}}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    """The inverse of `encode`; an id no longer in the catalogue reads as its English text."""
    if isinstance(value, dict):
        if _MARK in value and set(value) <= {_MARK, "params", "en"}:
            params = {k: decode(v) for k, v in (value.get("params") or {}).items()}
            try:
                return Message(str(value[_MARK]), **params)
            except (KeyError, IndexError, ValueError):
                return str(value.get("en") or value[_MARK])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
