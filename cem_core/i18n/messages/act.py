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
MESSAGES.update({
    # Excel columns
    "act.col.id": ("编号", "ID"),
    "act.col.department": ("部门", "Department"),
    "act.col.kind": ("类型", "Kind"),
    "act.col.priority": ("优先级", "Priority"),
    "act.col.touchpoint": ("触点", "Touchpoint"),
    "act.col.created_at": ("创建时间", "Created"),
    "act.col.due_at": ("截止时间", "Due"),
    "act.col.name": ("客户", "Customer"),
    "act.col.phone": ("电话", "Phone"),
    "act.col.nps": ("NPS", "NPS"),
    "act.col.comment": ("客户意见", "Comment"),
    "act.col.status": ("状态", "Status"),
    "act.col.owner": ("负责人", "Owner"),
    "act.col.first_contact_at": ("首次联系时间", "First contact"),
    "act.col.root_cause": ("根因", "Root cause"),
    "act.col.resolution_note": ("处理说明", "Resolution note"),
    "act.col.version": ("版本", "Version"),
    "act.col.check": ("校验", "Check"),
    # Excel round trip
    "act.xl.pick_from_list": ("请从下拉列表中选择", "Pick a value from the list"),
    "act.xl.err.department": ("无权导出或不存在的部门：{departments}",
                              "Department not found or not yours to export: {departments}"),
    "act.xl.err.too_big": ("文件超过 {mb} MB", "The file is larger than {mb} MB"),
    "act.xl.err.unreadable": ("无法读取该 Excel 文件（{error}）", "The Excel file cannot be read ({error})"),
    "act.xl.err.not_export": ("这不是本系统导出的行动清单（缺少隐藏的导出信息或列已被改动）",
                              "This is not an action list exported by this app (its hidden export data is missing "
                              "or its columns were changed)"),
    "act.xl.err.unknown_export": ("该行动清单不是从本系统导出的（导出编号未知）",
                                  "This action list was not exported from this installation (unknown export id)"),
    "act.xl.err.bad_id": ("编号无效：{value}", "Invalid ID: {value}"),
    "act.xl.err.bad_date": ("日期无效：{value}", "Invalid date: {value}"),
    "act.xl.note.other_department": ("该工作簿包含其他部门的行动项（{departments}）：这些行不会被导入",
                                     "This workbook holds items of other departments ({departments}): those rows "
                                     "are not imported"),
    "act.xl.note.old_export": ("这是 {at} 的旧导出，之后（最近 {newer}）已有更新的导出：已在系统中修改的行将报告为冲突",
                               "This is an older export ({at}); a newer one exists ({newer}). Rows changed in the "
                               "app since are reported as conflicts"),
})
