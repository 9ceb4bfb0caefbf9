"""Act: routing rules, action items, the Excel round trip, close-the-loop figures, improvement actions."""

MESSAGES: dict[str, tuple[str, str]] = {
    # errors of a change
    "act.err.field": ("不可修改的字段：{field}", "Field cannot be changed: {field}"),
    "act.err.bad_status": ("无效状态：{status}", "Invalid status: {status}"),
    "act.err.bad_priority": ("无效优先级：{priority}", "Invalid priority: {priority}"),
    "act.err.unknown_item": ("找不到行动项 {item}", "Unknown action item {item}"),
    "act.err.scope": ("行动项 {item} 不属于您负责的部门", "Action item {item} belongs to a department you do not lead"),
    "act.err.bad_root_cause": ("无效根因：{cause}", "Invalid root cause: {cause}"),
    "act.err.transition": ("行动项 {item} 不能从“{old}”变为“{new}”",
                           "Action item {item} cannot move from \"{old}\" to \"{new}\""),
    "act.err.needs_root_cause": ("行动项 {item} 须填写根因类别和处理说明才能解决或关闭",
                                 "Action item {item} needs a root cause and a note to be resolved or closed"),
    "act.err.conflict": ("行动项 {item} 已被 {by} 于 {at} 修改，您的修改未保存，请刷新后重试",
                         "Action item {item} was changed by {by} at {at}; your change was not saved. "
                         "Reload and try again"),
    "act.err.empty_comment": ("备注不能为空", "A comment cannot be empty"),
    # rules
    "act.rule.err.name": ("规则须有名称", "A rule needs a name"),
    "act.rule.err.condition": ("未知条件：{key}", "Unknown condition: {key}"),
    "act.rule.err.range": ("{key} 的范围须在 {low} 到 {high} 之间且下限不大于上限",
                           "{key} must be a range within {low} to {high}, low not above high"),
    "act.rule.err.list": ("{key} 须是列表", "{key} must be a list"),
    "act.rule.err.sentiment": ("情感只能是 positive / neutral / negative",
                               "Sentiment must be positive, neutral or negative"),
    "act.rule.err.action": ("类型或优先级无效", "Invalid kind or priority"),
    "act.rule.err.sla": ("时限须大于 0 小时且不超过一年", "The SLA must be more than 0 hours and at most a year"),
    "act.rule.note.sentiment_proxy": ("尚无文本情感分析结果：情感暂按评分判断（优先 NPS，0-6 为负面、9-10 为正面；"
                                      "无 NPS 时看 CSAT，再看 CES）",
                                      "No text sentiment yet: sentiment is judged from the scores for now (NPS first: "
                                      "0-6 negative, 9-10 positive; else CSAT, else CES)"),
    # vocabulary
    "act.status.open": ("待处理", "Open"),
    "act.status.in_progress": ("处理中", "In progress"),
    "act.status.resolved": ("已解决", "Resolved"),
    "act.status.closed": ("已关闭", "Closed"),
    "act.status.reopened": ("重新打开", "Reopened"),
    "act.priority.high": ("高", "High"),
    "act.priority.medium": ("中", "Medium"),
    "act.priority.low": ("低", "Low"),
    "act.kind.callback": ("回访", "Call-back"),
    "act.kind.review": ("复盘", "Review"),
}
