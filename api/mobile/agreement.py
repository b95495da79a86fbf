"""The user agreement (用户协议) of the worker's app: accepted once per version, and asked
again when the version changes."""

from __future__ import annotations

VERSION = "2026-12"
TITLE_ZH = "SitePulse 用户协议与隐私政策"
TEXT_ZH = "\n".join(
    [
        "一、本平台依据建筑工人实名制管理和工资支付监管的规定，采集并使用您的姓名、"
        "身份证号、手机号、人脸照片、银行卡、考勤和工资信息，仅用于实名登记、考勤、"
        "工资发放与监管。",
        "二、身份证号、手机号和银行卡号加密存储，页面上只显示掩码；人脸照片仅用于考勤和本人核验。",
        "三、手机考勤打卡和扫码签到会读取您打卡时的位置，仅用于判断是否在项目打卡范围内。",
        "四、您可以在“消息通知”中选择接收哪些通知，也可以随时关闭手机推送。",
        "五、未经您授权，平台不会向项目和监管部门以外的任何人提供您的个人信息。",
    ]
)
