"""Alerts page and alert messages."""

MESSAGES: dict[str, tuple[str, str]] = {
    "nav.alerts": ("预警", "Alerts"),
    "nav.alerts_unread": ("预警（{n} 条未读）", "Alerts ({n} unread)"),
    "alerts.title": ("预警", "Alerts"),
    "alerts.overall": ("全部", "overall"),
    "alerts.msg.title": ("{measure} 显著下降：{where}", "{measure} dropped significantly: {where}"),
    "alerts.msg.body": ("{measure}（{where}）：{previous} → {current}；样本 {n_previous} → {n_current}；p = {p}；"
                        "本期 {date_from} 至 {date_to}，与上一等长周期相比。",
                        "{measure} ({where}): {previous} -> {current}; n {n_previous} -> {n_current}; p = {p}; "
                        "period {date_from} to {date_to} against the previous period of equal length."),
    "alerts.msg.spike_title": ("{measure} 显著上升：{where}", "{measure} rose significantly: {where}"),
    "alerts.msg.spike_body": ("{measure}（{where}）占已分析评论：{previous}% → {current}%；评论数 {n_previous} → "
                              "{n_current}；p = {p}；本期 {date_from} 至 {date_to}，与上一等长周期相比。",
                              "{measure} ({where}) share of analysed comments: {previous}% -> {current}%; comments "
                              "{n_previous} -> {n_current}; p = {p}; period {date_from} to {date_to} against the "
                              "previous period of equal length."),
    "alerts.measure.negative": ("负面评论", "Negative comments"),
    "alerts.measure.topic": ("负面话题提及", "Negative topic mentions"),
    "alerts.measure.sla": ("超时未处理的跟进", "Follow-ups past their SLA"),
    "alerts.msg.sla_title": ("{measure} 显著增加：{where}", "{measure} rising significantly: {where}"),
    "alerts.msg.sla_body": ("{measure}（{where}）占有期限的跟进：{previous}% → {current}%；跟进数 {n_previous} → "
                            "{n_current}；p = {p}；本期 {date_from} 至 {date_to}（按创建时间），与上一等长周期相比。",
                            "{measure} ({where}) share of follow-ups with a due time: {previous}% -> {current}%; "
                            "items {n_previous} -> {n_current}; p = {p}; items created {date_from} to {date_to} "
                            "against the previous period of equal length."),
    "alerts.dim.department": ("每个部门", "Each department"),
    "alerts.dim.topic": ("每个话题", "Each topic"),
    "alerts.tab.inbox": ("预警列表", "Alerts"),
    "alerts.tab.rules": ("预警规则", "Rules"),
    "alerts.tab.deliveries": ("发送记录", "Deliveries"),
    "alerts.empty": ("暂无预警。", "No alerts yet."),
    "alerts.unread": ("未读", "unread"),
    "alerts.open": ("查看", "Open view"),
    "alerts.mark_all": ("全部标为已读", "Mark all read"),
    "alerts.rule.name": ("规则名称", "Rule name"),
    "alerts.rule.measure": ("指标", "Measure"),
    "alerts.rule.dimension": ("范围", "Where"),
    "alerts.dim.overall": ("全部", "Overall"),
    "alerts.dim.channel": ("每个渠道", "Each channel"),
    "alerts.dim.stage": ("每个阶段", "Each stage"),
    "alerts.dim.touchpoint": ("每个触点", "Each touchpoint"),
    "alerts.dim.segment": ("每个客群", "Each segment"),
    "alerts.rule.window": ("周期（天）", "Period (days)"),
    "alerts.rule.min_n": ("每期最少样本", "Minimum answers per period"),
    "alerts.rule.max_p": ("显著性（p 值上限）", "Significance (largest p)"),
    "alerts.rule.users": ("接收用户", "Recipient users"),
    "alerts.rule.departments": ("接收部门", "Recipient departments"),
    "alerts.rule.channels": ("发送渠道（JSON 列表）", "Channels (JSON list)"),
    "alerts.rule.channels_help": ('例如 [{"kind": "dingtalk", "url": "https://…", "secret": "ding"}]；secret 是 '
                                  "secrets.toml [alert_secrets] 中的名称，不是密钥本身。",
                                  'e.g. [{"kind": "dingtalk", "url": "https://…", "secret": "ding"}]; secret is a '
                                  "name in secrets.toml [alert_secrets], never the key itself."),
    "alerts.rule.save": ("保存规则", "Save rule"),
    "alerts.rule.saved": ("规则已保存。", "Rule saved."),
    "alerts.rule.delete": ("删除规则", "Delete rule"),
    "alerts.rule.bad": ("规则无效：{error}", "Invalid rule: {error}"),
    "alerts.rule.run": ("立即评估", "Evaluate now"),
    "alerts.rule.ran": ("新预警 {n} 条。", "{n} new alerts."),
    "alerts.col.created_at": ("时间", "When"),
    "alerts.col.rule": ("规则", "Rule"),
    "alerts.col.text": ("内容", "What"),
    "alerts.col.channel": ("渠道", "Channel"),
    "alerts.col.status": ("状态", "Status"),
    "alerts.col.attempts": ("尝试次数", "Attempts"),
    "alerts.col.error": ("错误", "Error"),
    "alerts.col.at": ("时间", "When"),
    "alerts.failures": ("{n} 次发送失败，见“发送记录”。", "{n} sends failed: see Deliveries."),
}
