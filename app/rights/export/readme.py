"""The README in the person's language (zh or en) that explains each file of the export."""

from __future__ import annotations

from datetime import datetime

FILES_ZH = {
    "account": "你的账号：手机号、显示名称、注册方式、状态，"
    "以及你设置的昵称和头像（类型、大小、校验值）。",
    "memberships": "你在各学校的身份（学生、教师、监护人等）及其状态。",
    "oneroster": "学校导入的 OneRoster 名册中关于你的字段：编号、用户名、邮箱、年级、"
    "第二个电话、人口信息、扩展字段等。",
    "consent_attestations": "学校登记你时记录的同意（由你本人或监护人作出）。",
    "consent_withdrawals": "你撤回及恢复的授权类别（摄像头、麦克风、录制、诊断）。",
    "enrolments": "你所在的课程及角色。",
    "attendance": "每节课你进入与离开的时间。",
    "lesson_summaries": "每节课的汇总：在线时长、举手、奖励、发言、答题等。",
    "attendance_events": "进出课堂等原始考勤事件。",
    "behaviour": "课堂行为事件：举手、发言、摄像头、上台、奖励。",
    "tool_use": "课堂工具的使用：抢答器、计时器、转盘、屏幕共享等。",
    "answers": "你在答题器中的作答。",
    "diagnostics": "设备与网络诊断数据，按存储原样提供。",
    "teaching_actions": "你作为教师的课堂操作（涉及的其他人只显示为“a participant”）。",
    "audit_entries": "谁（以身份类别表示）因何目的查看或修改了你的数据。",
    "recordings": "你参加的课程录像的签名下载链接（有效期见 link_expires_at）。",
}
FILES_EN = {
    "account": "Your account: phone number, display name, how it was registered, status, "
    "and the nickname and avatar you set (type, size, checksum).",
    "memberships": "Your roles in each school (student, teacher, guardian...) and their status.",
    "oneroster": "What each school's OneRoster roster file said about you: sourcedId, username, "
    "email, grades, a second phone, demographics, extension (metadata) fields.",
    "consent_attestations": "Consent the school recorded at registration (yours or a guardian's).",
    "consent_withdrawals": "Consent categories you withdrew or restored (camera, microphone, ...).",
    "enrolments": "The courses you are enrolled in, and your role in each.",
    "attendance": "When you joined and left each lesson.",
    "lesson_summaries": "Per-lesson summaries: time attended, hand raises, rewards, answers.",
    "attendance_events": "Raw attendance events such as joining and leaving.",
    "behaviour": "Classroom behaviour events: hand raised, spoke, camera, stage, rewards.",
    "tool_use": "Use of classroom tools: buzzer, timer, wheel, screen sharing...",
    "answers": "Your answers in the in-class answerer.",
    "diagnostics": "Device and network diagnostics, exactly as stored.",
    "teaching_actions": "Your actions as a teacher (other people appear only as 'a participant').",
    "audit_entries": "Who (by kind of actor) read or changed your data, and for what purpose.",
    "recordings": "Signed links to recordings of lessons you attended (until link_expires_at).",
}

INTRO = {
    "zh": (
        "# 你的个人数据副本\n\n生成时间：{at}\n\n"
        "每个类别有两个文件：JSON（完整、机器可读）和 CSV（可用表格软件打开）。"
        "每一行都是关于你本人的记录；同班同学只以课堂上公开可见的形式出现，"
        "不包含其他任何人的个人信息。以 = + - @ 开头的表格单元前加了 ' 以防公式执行。\n\n"
        "## 文件说明\n\n"
    ),
    "en": (
        "# A copy of your personal data\n\nCreated: {at}\n\n"
        "Each category has two files: JSON (complete, machine-readable) and CSV (opens in a "
        "spreadsheet). Every row is a record about you; classmates appear only as the class "
        "saw them live, and nobody else's personal data is included. CSV cells starting "
        "with = + - @ are prefixed with ' so a spreadsheet does not run them as formulas.\n\n"
        "## Files\n\n"
    ),
}


def readme(language: str, at: datetime, rows: dict[str, int]) -> str:
    lang = "en" if language == "en" else "zh"
    lines = [INTRO[lang].format(at=at.isoformat())]
    unit = "行" if lang == "zh" else "rows"
    for name, text in (FILES_ZH if lang == "zh" else FILES_EN).items():
        lines.append(f"- `{name}.json`, `{name}.csv` ({rows.get(name, 0)} {unit}): {text}\n")
    return "".join(lines)
