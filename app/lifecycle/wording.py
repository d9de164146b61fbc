"""What the people and schools are told, in Chinese or English (SEC-11/12, SHD-1/2).

A breach notice states the basic facts and possible impact, the measures taken or planned,
advice for self-protection, the remedies offered and the handling progress (SEC-12), and
whom to contact.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.lifecycle.models import Incident

CHINA = ZoneInfo("Asia/Shanghai")
SMS_LIMIT = 500  # the outbox keeps 500 characters; a gateway splits longer messages itself

_INCIDENT = {
    "zh": {
        "title": "个人信息安全事件告知",
        "school_title": "个人信息安全事件告知（贵机构）",
        "facts": "事件基本情况及可能的影响",
        "when": "发生时间 / 发现时间",
        "categories": "涉及的信息类别",
        "measures": "已采取或将要采取的处置措施",
        "advice": "您可自主防范和降低风险的建议",
        "remedies": "针对您的补救措施",
        "progress": "处理进程",
        "contact": "联系方式",
        "school_intro": "贵机构的部分人员的个人信息受到以下事件影响，我们已逐一告知受影响的人员。",
        "sms": "[Rostra] 个人信息安全事件告知：{what} 建议：{advice} "
        "详情见应用内通知。联系：{contact}",
    },
    "en": {
        "title": "Notice of a personal-data incident",
        "school_title": "Notice of a personal-data incident (your school)",
        "facts": "What happened and its possible impact",
        "when": "Happened / detected",
        "categories": "Kinds of data involved",
        "measures": "Measures taken or planned",
        "advice": "What you can do to protect yourself",
        "remedies": "Remedies we offer",
        "progress": "Handling progress",
        "contact": "Contact",
        "school_intro": "People of your school were affected by the incident below; "
        "each of them has been told.",
        "sms": "[Rostra] Personal-data incident: {what} Advice: {advice} "
        "Details in the app. Contact: {contact}",
    },
}


def local(at: datetime) -> str:
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def incident_title(language: str, *, school: bool = False) -> str:
    return _INCIDENT[language]["school_title" if school else "title"]


def incident_body(incident: Incident, language: str, *, school: bool = False) -> str:
    """The in-app notice: every element SEC-12 asks for, one labelled paragraph each."""
    t = _INCIDENT[language]
    facts = incident.what + (f"\n{incident.impact}" if incident.impact else "")
    parts = [t["school_intro"]] if school else []
    parts += [
        f"{t['facts']}: {facts}",
        f"{t['when']}: {local(incident.happened_at)} / {local(incident.detected_at)}",
        f"{t['categories']}: {', '.join(incident.categories)}",
        f"{t['measures']}: {incident.measures}",
        f"{t['advice']}: {incident.advice}",
        f"{t['remedies']}: {incident.remedies}",
        f"{t['progress']}: {incident.progress or '-'}",
        f"{t['contact']}: {incident.contact}",
    ]
    return "\n\n".join(parts)


def incident_sms(incident: Incident, language: str) -> str:
    """The SMS: the facts, the advice and the contact, cut to fit; the rest is in the app."""
    template = _INCIDENT[language]["sms"]
    room = SMS_LIMIT - len(template.format(what="", advice="", contact=incident.contact))
    what, advice = _cut(incident.what, room * 3 // 5), _cut(incident.advice, room * 2 // 5)
    return template.format(what=what, advice=advice, contact=incident.contact)[:SMS_LIMIT]


def _cut(text: str, room: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= room else text[: max(room - 1, 0)] + "…"


_SHUTDOWN = {
    "zh": ("服务停止运营公告", "Rostra 将于 {when}（北京时间）停止运营。{message} 停止后，"
           "我们将在合理期限内删除或匿名化处理您的个人信息。"),
    "en": ("Rostra is closing", "Rostra stops operating on {when} (Beijing time). {message} "
           "After that, your personal data will be deleted or anonymised within a reasonable "
           "period."),
}  # fmt: skip

_OFFBOARDING = {
    "zh": ("机构停止使用 Rostra", "{school} 将于 {when}（北京时间）停止使用 Rostra，届时该机构的"
           "全部数据将被删除。您不属于其他机构；如不再需要本账号，可在「我的」中申请注销。"),
    "en": ("Your school is leaving Rostra", "{school} stops using Rostra on {when} (Beijing "
           "time); all of its data will then be deleted. You belong to no other school: if you "
           "no longer need this account, you can ask to cancel it (a cancellation request)."),
}  # fmt: skip


def shutdown_notice(language: str, ends_at: datetime, message: str) -> tuple[str, str]:
    title, body = _SHUTDOWN[language]
    return title, body.format(when=local(ends_at), message=message).strip()


def offboarding_offer(language: str, school: str, delete_after: datetime) -> tuple[str, str]:
    title, body = _OFFBOARDING[language]
    return title, body.format(school=school, when=local(delete_after))
