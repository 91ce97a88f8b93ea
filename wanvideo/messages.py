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
from collections.abc import Mapping
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
    "input.no_upload": _m(
        "{provider} has no upload for local files; paste public links under {field} instead",
        "{provider} 不支持上传本地文件；请改为在“{field}”中粘贴公开链接",
    ),
    "input.no_callback": _m(
        "{provider} has no per-request callback; leave it empty (the app polls the task)",
        "{provider} 不支持按请求设置回调；请留空（应用会轮询任务）",
    ),
    "input.no_references": _m(
        "add 1 to {max} reference videos (upload files or paste links)",
        "请添加 1 到 {max} 个参考视频（上传文件或粘贴链接）",
    ),
    "refusal.title": _m("Fix the form first", "请先修改表单"),
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

    def render(self, lang: str = EN) -> str:
        return _format(self.id, lang, self.params)

    def __reduce__(self) -> tuple[Any, ...]:  # pickling keeps id + params
        return (_rebuild, (self.id, self.params))

    def __repr__(self) -> str:
        return f"Message({self.id!r}, {self.params!r})"


def _rebuild(id: str, params: dict[str, Any]) -> Message:  # noqa: A002
    return Message(id, **params)


def _format(id: str, lang: str, params: Mapping[str, Any]) -> str:  # noqa: A002
    entry = CATALOGUE[id]
    template = entry.get(lang) or entry[EN]
    return template.format_map({k: render(v, lang) for k, v in params.items()})


def render(value: Any, lang: str = EN) -> str:
    """Text in `lang`: a Message is rendered, anything else is shown as it is."""
    if isinstance(value, Message):
        return value.render(lang)
    return "" if value is None else str(value)


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
