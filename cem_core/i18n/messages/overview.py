"""Executive overview page."""

MESSAGES: dict[str, tuple[str, str]] = {
    "overview.title": ("客户体验总览", "Customer experience overview"),
    "overview.period": ("{start} 至 {end}，与上一同长周期（{pstart} 至 {pend}）对比",
                        "{start} to {end}, compared with the previous period of equal length ({pstart} to {pend})"),
    "overview.nps": ("NPS 净推荐值", "NPS"),
    "overview.nps_help": ("推荐者（9-10 分）占比减贬损者（0-6 分）占比；被动者（7-8 分）计入分母，空白不计。",
                          "% promoters (9-10) minus % detractors (0-6); passives (7-8) count in the denominator, "
                          "blanks are excluded."),
    "overview.nps_caption": ("95% 置信区间 {low} ~ {high}，n = {n}", "95% CI {low} to {high}, n = {n}"),
    "overview.csat": ("CSAT 满意度", "CSAT"),
    "overview.csat_help": ("打 4 分或 5 分（满分 5 分）的占比，不是平均分；空白不计。",
                           "Share of 4s and 5s on the 1-5 scale (top-2-box), not the mean; blanks excluded."),
    "overview.ces": ("CES 费力度", "CES"),
    "overview.ces_help": ("1-7 分“办事很容易”的平均分；括号内为同意（5-7 分）的占比。",
                          "Mean agreement (1-7) that it was easy; in brackets the share agreeing (5-7)."),
    "overview.ces_caption": ("同意占比 {agree}，n = {n}", "{agree} agree, n = {n}"),
    "overview.responses": ("反馈条数", "Responses"),
    "overview.promoters": ("推荐者占比", "Promoters"),
    "overview.detractors": ("贬损者占比", "Detractors"),
    "overview.spend_at_risk": ("贬损者消费额（流失风险）", "Detractor spend at risk"),
    "overview.spend_help": ("本期贬损者（NPS 0-6）的消费总额：这些客户最可能流失。",
                            "Total spend of this period's detractors (NPS 0-6): the customers most likely to leave."),
    "overview.n_caption": ("n = {n}", "n = {n}"),
    "overview.trend": ("NPS 月度趋势", "NPS by month"),
    "overview.trend_read": ("折线为每月 NPS，阴影为 95% 置信区间：区间越宽，样本越少，越不宜过度解读。",
                            "The line is monthly NPS; the band is its 95% confidence interval: a wide band means "
                            "few answers, so read small moves with care."),
    "overview.by_stage": ("各旅程阶段 NPS", "NPS by journey stage"),
    "overview.by_channel": ("各渠道 NPS", "NPS by channel"),
    "overview.bars_read": ("条形为 NPS，黑线为 95% 置信区间；两条黑线不重叠时差异才较可靠。",
                           "Bars show NPS, black lines its 95% CI; only differences whose lines do not overlap "
                           "are reliable."),
    "overview.stage": ("旅程阶段", "Journey stage"),
    "overview.channel": ("渠道", "Channel"),
    "overview.no_rows": ("所选筛选条件下没有反馈。", "No feedback matches the selected filters."),
}
