"""Industry journey templates used by the demo generator and offered to new users.

The early adopters named in CEM studies (hotel, airline, bank, auto, insurance, retail) each get an
ordered journey of stages with touchpoints. Every touchpoint names the department that owns it
(so actions can be routed) and carries bilingual praise and problem phrases, so demo comments fit
the stage, touchpoint and score: a detractor's comment names what went wrong.

Attribute ratings (the key drivers) use the five fixed codes of ``cem_core.reference`` across industries
so the planted driver weights in ``generator.py`` apply everywhere; only their labels differ by industry.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Regions: (zh, en).
REGIONS: tuple[tuple[str, str], ...] = (
    ("华东", "East"),
    ("华北", "North"),
    ("华南", "South"),
    ("华中", "Central"),
    ("西南", "Southwest"),
    ("东北", "Northeast"),
)

#: Customer segments: (zh, en).
SEGMENTS: tuple[tuple[str, str], ...] = (
    ("新客", "New"),
    ("普通会员", "Member"),
    ("VIP", "VIP"),
)


@dataclass(frozen=True)
class Touchpoint:
    """One moment of contact; ``quality`` shifts its latent experience (-1 bad .. +1 good)."""

    code: str
    zh: str
    en: str
    department: str
    quality: float
    praise_zh: tuple[str, ...]
    praise_en: tuple[str, ...]
    problem_zh: tuple[str, ...]
    problem_en: tuple[str, ...]


@dataclass(frozen=True)
class Stage:
    """One journey stage; ``channels`` are the channel codes its feedback usually comes through."""

    code: str
    zh: str
    en: str
    channels: tuple[str, ...]
    touchpoints: tuple[Touchpoint, ...]


@dataclass(frozen=True)
class Industry:
    """A journey template: ordered stages, products sold and labels of the five attributes."""

    code: str
    zh: str
    en: str
    stages: tuple[Stage, ...]
    products: tuple[tuple[str, str], ...]
    attributes: tuple[tuple[str, str], ...]  # (zh, en) labels in ATTRIBUTE_CODES order


HOTEL = Industry(
    code="hotel",
    zh="酒店",
    en="Hotel",
    products=(("豪华大床房", "Deluxe King"), ("商务双床房", "Business Twin"), ("行政套房", "Executive Suite"),
              ("家庭房", "Family Room"), ("会议套餐", "Meeting Package")),
    attributes=(("员工友好", "Staff friendliness"), ("办理速度", "Speed of service"),
                ("房间清洁与设施", "Room cleanliness & facilities"), ("性价比", "Value for money"),
                ("App/小程序体验", "App & mini-program experience")),
    stages=(
        Stage("awareness", "认知", "Awareness", ("weibo", "wechat_oa"), (
            Touchpoint("social_ads", "社交媒体广告", "Social media ads", "marketing", 0.2,
                       ("广告里的房间照片很真实", "活动信息一目了然"),
                       ("The room photos in the ad looked genuine", "The promotion was easy to understand"),
                       ("广告图和实际房间差距太大", "活动规则写得含糊不清"),
                       ("The ad photos looked nothing like the real room", "The promotion rules were vague")),
        )),
        Stage("consideration", "考虑", "Consideration", ("review_site", "wechat_mini"), (
            Touchpoint("reviews", "点评页面", "Review listings", "marketing", 0.1,
                       ("点评里的回复很用心", "评分和实际体验一致"),
                       ("Management replies to reviews were thoughtful", "Ratings matched the real stay"),
                       ("差评没人回复", "点评页的设施信息过时"),
                       ("Nobody answered the bad reviews", "Facility details on the listing were outdated")),
            Touchpoint("price_check", "价格比较", "Price comparison", "sales", -0.1,
                       ("官网价格比平台便宜", "会员价很有吸引力"),
                       ("Direct price beat the booking sites", "Member rates were attractive"),
                       ("官网比第三方平台还贵", "价格频繁变动"),
                       ("The hotel site was dearer than third-party sites", "Prices kept changing")),
        )),
        Stage("booking", "预订", "Booking", ("app", "wechat_mini"), (
            Touchpoint("app_booking", "App 预订", "App booking", "digital", 0.3,
                       ("小程序下单三步就完成", "预订确认短信很及时"),
                       ("Booking in the mini-program took three taps", "The confirmation SMS came at once"),
                       ("App 支付时闪退", "预订后没有收到确认"),
                       ("The app crashed at payment", "No confirmation arrived after booking")),
        )),
        Stage("arrival", "入住", "Arrival", ("sms_survey", "app"), (
            Touchpoint("check_in", "前台入住", "Front-desk check-in", "operations", -0.4,
                       ("前台办理入住很快", "前台服务热情周到"),
                       ("Check-in at the front desk was quick", "Front-desk staff were warm and helpful"),
                       ("前台办理入住等了四十分钟", "房间没准备好还要等"),
                       ("We waited forty minutes to check in", "The room was not ready on arrival")),
            Touchpoint("parking", "停车", "Parking", "operations", 0.0,
                       ("停车位充足", "代客泊车很方便"),
                       ("Plenty of parking", "Valet parking was convenient"),
                       ("停车场找不到车位", "停车费太贵"),
                       ("No parking spaces left", "Parking fees were too high")),
        )),
        Stage("stay", "住宿", "Stay", ("sms_survey", "wechat_mini", "app"), (
            Touchpoint("room", "客房", "Room", "operations", 0.2,
                       ("房间干净安静", "床品很舒服"),
                       ("The room was clean and quiet", "The bed was very comfortable"),
                       ("房间有异味", "空调噪音太大睡不着"),
                       ("The room smelled musty", "The air conditioner was too loud to sleep")),
            Touchpoint("breakfast", "早餐", "Breakfast", "operations", 0.1,
                       ("早餐品种丰富", "现做的面条很好吃"),
                       ("Breakfast had a wide choice", "The noodles cooked to order were great"),
                       ("早餐九点就没菜了", "餐厅排队太久"),
                       ("Breakfast ran out by nine", "The restaurant queue was too long")),
            Touchpoint("wifi", "无线网络", "Wi-Fi", "digital", -0.2,
                       ("网速很快", "连接一次就好"),
                       ("Wi-Fi was fast", "Connected first time"),
                       ("WiFi 经常断线", "网速慢到无法开视频会议"),
                       ("The Wi-Fi kept dropping", "Wi-Fi too slow for a video call")),
        )),
        Stage("checkout", "退房", "Check-out", ("sms_survey", "app"), (
            Touchpoint("checkout", "退房结账", "Check-out & billing", "finance", 0.0,
                       ("一键退房很方便", "账单清楚明白"),
                       ("One-tap check-out was easy", "The bill was clear"),
                       ("退房时多收了费用", "发票开了半小时"),
                       ("I was overcharged at check-out", "The invoice took half an hour")),
        )),
        Stage("loyalty", "忠诚", "Loyalty", ("call_center", "wechat_oa", "review_site"), (
            Touchpoint("complaint", "投诉处理", "Complaint handling", "customer_service", -0.3,
                       ("客服很快回电解决了问题", "投诉处理结果满意"),
                       ("Customer service called back fast and fixed it", "Happy with how the complaint was handled"),
                       ("投诉一周没人回复", "客服电话一直占线"),
                       ("No reply to my complaint for a week", "The hotline was always busy")),
            Touchpoint("membership", "会员权益", "Membership benefits", "marketing", 0.2,
                       ("积分兑换很划算", "会员升级房型惊喜"),
                       ("Points redemption was good value", "The member upgrade was a nice surprise"),
                       ("积分过期没有提醒", "会员权益形同虚设"),
                       ("Points expired without notice", "Member benefits were meaningless")),
        )),
    ),
)

AIRLINE = Industry(
    code="airline",
    zh="航空",
    en="Airline",
    products=(("经济舱", "Economy class"), ("超级经济舱", "Premium economy"), ("公务舱", "Business class"),
              ("额外行李额", "Extra baggage allowance"), ("机上WiFi套餐", "In-flight Wi-Fi pass")),
    attributes=(("机组与地勤服务", "Crew & ground staff service"), ("值机与登机效率", "Check-in & boarding speed"),
                ("航班准点可靠", "On-time reliability"), ("票价性价比", "Fare value for money"),
                ("App/小程序体验", "App & mini-program experience")),
    stages=(
        Stage("inspiration", "出行灵感", "Inspiration", ("weibo", "wechat_oa"), (
            Touchpoint("fare_promo", "特价机票活动", "Fare promotions", "marketing", 0.1,
                       ("特价机票真的很便宜", "会员日活动力度很大"),
                       ("The sale fares were genuinely cheap", "The member-day deals were generous"),
                       ("特价票一秒就抢光了", "活动价加上税费一点都不便宜"),
                       ("The sale fares sold out in a second", "With taxes the promo fare was not cheap at all")),
        )),
        Stage("booking", "购票", "Booking", ("app", "wechat_mini"), (
            Touchpoint("app_booking", "App 购票", "App booking", "digital", 0.3,
                       ("小程序选座买票一气呵成", "出票短信马上就到"),
                       ("Booking and choosing a seat in the mini-program was seamless",
                        "The ticket SMS arrived at once"),
                       ("付款成功了却迟迟不出票", "App 选座页面一直加载不出来"),
                       ("Payment went through but the ticket was not issued",
                        "The seat map in the app never loaded")),
            Touchpoint("fare_rules", "改退规则", "Change & refund rules", "product", -0.2,
                       ("改签规则写得很清楚", "退票手续费合理"),
                       ("The change rules were clearly explained", "The refund fee was reasonable"),
                       ("退票手续费高得离谱", "改签规则藏在小字里"),
                       ("The refund fee was outrageous", "The change rules were hidden in the small print")),
        )),
        Stage("airport", "值机与登机", "Check-in & boarding", ("sms_survey", "app"), (
            Touchpoint("check_in", "值机柜台", "Check-in counter", "operations", -0.1,
                       ("自助值机几分钟就搞定", "柜台地勤很耐心"),
                       ("Self check-in took only minutes", "The counter staff were very patient"),
                       ("值机排队排了一个小时", "只开了两个柜台"),
                       ("We queued an hour to check in", "Only two counters were open")),
            Touchpoint("boarding", "登机", "Boarding", "operations", 0.0,
                       ("分区登机很有秩序", "登机口广播很清楚"),
                       ("Zoned boarding was orderly", "Gate announcements were clear"),
                       ("临时换登机口没有通知", "远机位摆渡车等了很久"),
                       ("The gate changed with no notice", "We waited ages for the bus to the remote stand")),
        )),
        Stage("flight", "飞行", "Flight", ("sms_survey", "wechat_mini", "app"), (
            Touchpoint("punctuality", "航班准点", "Flight punctuality", "operations", -0.5,
                       ("航班准点起飞还提前到达", "延误时及时推送了原因"),
                       ("The flight left on time and landed early",
                        "We were told the reason for the delay right away"),
                       ("航班延误三小时没有任何通知", "在飞机上干坐了两个小时"),
                       ("The flight was delayed three hours with no notice", "We sat on the plane for two hours")),
            Touchpoint("cabin_crew", "客舱服务", "Cabin service", "operations", 0.3,
                       ("空乘服务特别贴心", "餐食比想象的好吃"),
                       ("The cabin crew were really attentive", "The meal was better than expected"),
                       ("呼叫铃按了半天没人来", "餐食只剩一种选择"),
                       ("Nobody answered the call button for ages", "Only one meal choice was left")),
            Touchpoint("inflight_wifi", "机上网络", "In-flight Wi-Fi", "digital", -0.1,
                       ("机上WiFi能正常刷手机", "连网流程很简单"),
                       ("The in-flight Wi-Fi was good enough to browse", "Getting online was simple"),
                       ("买了WiFi套餐却连不上", "网速慢到消息都发不出去"),
                       ("I paid for Wi-Fi and could not connect", "It was too slow to even send a message")),
        )),
        Stage("arrival", "到达与行李", "Arrival & baggage", ("sms_survey", "call_center"), (
            Touchpoint("baggage", "行李提取", "Baggage claim", "operations", -0.2,
                       ("行李出得很快", "行李完好无损"),
                       ("The bags came out quickly", "My luggage arrived undamaged"),
                       ("行李等了四十分钟才出来", "托运的箱子被摔坏了"),
                       ("We waited forty minutes for our bags", "My checked suitcase was broken")),
        )),
        Stage("service", "售后服务", "After-travel service", ("call_center", "review_site", "weibo"), (
            Touchpoint("complaint", "投诉与补偿", "Complaints & compensation", "customer_service", -0.3,
                       ("延误补偿很快到账", "客服主动打电话道歉"),
                       ("The delay compensation arrived quickly", "Customer service called to apologise"),
                       ("投诉两周没有结果", "客服热线排队半小时"),
                       ("My complaint is still unresolved after two weeks", "I waited half an hour on the hotline")),
            Touchpoint("refund", "退票退款", "Ticket refunds", "finance", -0.2,
                       ("退款三天就到账了", "退款进度随时能查"),
                       ("The refund arrived in three days", "I could track the refund at any time"),
                       ("退款一个月还没到账", "退款金额和说好的不一样"),
                       ("The refund has not arrived after a month", "The refund was less than promised")),
        )),
        Stage("loyalty", "常旅客忠诚", "Frequent-flyer loyalty", ("wechat_oa", "app"), (
            Touchpoint("miles", "里程累积与兑换", "Miles earning & redemption", "marketing", 0.1,
                       ("里程兑换机票很划算", "里程到账很及时"),
                       ("Redeeming miles for a flight was great value", "Miles were credited promptly"),
                       ("里程兑换永远没有座位", "飞完一个月里程还没到账"),
                       ("There are never award seats for miles",
                        "Miles were still missing a month after the flight")),
            Touchpoint("elite_status", "会员等级权益", "Elite status benefits", "marketing", 0.2,
                       ("金卡优先登机很方便", "贵宾休息室很舒服"),
                       ("Gold-card priority boarding was handy", "The lounge was comfortable"),
                       ("会员升舱从来没成功过", "休息室太挤没有座位"),
                       ("My member upgrade never comes through", "The lounge was packed with no seats")),
        )),
    ),
)

BANK = Industry(
    code="bank",
    zh="银行",
    en="Bank",
    products=(("信用卡", "Credit card"), ("个人贷款", "Personal loan"), ("住房按揭", "Mortgage"),
              ("理财产品", "Wealth management product"), ("储蓄账户", "Savings account")),
    attributes=(("柜员专业友好", "Teller professionalism"), ("办理效率", "Speed of service"),
                ("业务准确可靠", "Accuracy & reliability"), ("费率与收益", "Fees and returns"),
                ("手机银行体验", "Mobile banking experience")),
    stages=(
        Stage("awareness", "了解", "Awareness", ("wechat_oa", "weibo"), (
            Touchpoint("promotions", "营销活动", "Promotions", "marketing", 0.1,
                       ("开卡礼很实在", "公众号推送的理财知识很实用"),
                       ("The card sign-up gift was worthwhile",
                        "The finance tips on the official account were useful"),
                       ("活动门槛写得不清楚", "营销短信太多太烦"),
                       ("The promotion conditions were unclear", "Far too many marketing texts")),
        )),
        Stage("consultation", "咨询比较", "Consultation", ("wechat_mini", "call_center"), (
            Touchpoint("advisor", "客户经理咨询", "Relationship manager advice", "sales", 0.2,
                       ("客户经理讲解很专业", "推荐的产品很适合我"),
                       ("The relationship manager explained things expertly",
                        "The recommended product really suited me"),
                       ("客户经理一味推销理财", "问的问题都答不上来"),
                       ("The manager just kept pushing investments", "My questions went unanswered")),
            Touchpoint("rate_info", "利率费率信息", "Rates & fees information", "product", 0.0,
                       ("利率和手续费公示得很清楚", "在线试算很方便"),
                       ("Rates and fees were clearly published", "The online calculator was handy"),
                       ("隐藏收费事先没说", "宣传利率和实际不一样"),
                       ("Hidden fees were never mentioned", "The advertised rate differed from the real one")),
        )),
        Stage("onboarding", "开户办理", "Account opening", ("sms_survey", "app"), (
            Touchpoint("branch_queue", "网点排队", "Branch queue", "operations", -0.4,
                       ("取号后很快就叫到了", "大堂经理主动引导"),
                       ("My number was called soon after I took it", "The lobby manager guided me right away"),
                       ("网点排队等了一个多小时", "十个窗口只开了两个"),
                       ("I queued over an hour at the branch", "Only two of ten windows were open")),
            Touchpoint("account_opening", "开户流程", "Account opening process", "operations", 0.1,
                       ("开户二十分钟就办好了", "柜员顺便帮我开通了手机银行"),
                       ("The account was opened in twenty minutes", "The teller also set up mobile banking for me"),
                       ("开户要填的表太多", "材料要求变来变去"),
                       ("Too many forms to open an account", "The document requirements kept changing")),
        )),
        Stage("daily_banking", "日常使用", "Everyday banking", ("app", "wechat_mini"), (
            Touchpoint("mobile_banking", "手机银行", "Mobile banking", "digital", 0.3,
                       ("手机银行转账秒到", "界面简洁功能好找"),
                       ("Mobile transfers arrive instantly", "The app is clean and easy to navigate"),
                       ("手机银行更新后老是闪退", "登录要验证好几次"),
                       ("The banking app keeps crashing since the update", "Logging in takes several verifications")),
            Touchpoint("card_usage", "刷卡支付", "Card payments", "product", 0.1,
                       ("境外刷卡也很顺畅", "消费提醒很及时"),
                       ("The card worked smoothly abroad", "Spending alerts come instantly"),
                       ("刷卡莫名其妙被风控冻结", "账单上有看不懂的扣费"),
                       ("My card was frozen by risk control for no reason",
                        "There are charges on my statement I cannot explain")),
        )),
        Stage("lending", "贷款办理", "Lending", ("sms_survey", "call_center"), (
            Touchpoint("loan_approval", "贷款审批", "Loan approval", "finance", -0.2,
                       ("贷款三天就批下来了", "审批进度随时能查"),
                       ("The loan was approved in three days", "I could check the approval status anytime"),
                       ("贷款审批拖了一个月", "材料交了三次还说不全"),
                       ("The loan approval dragged on for a month",
                        "I handed in documents three times and was still told they were incomplete")),
        )),
        Stage("service", "问题处理", "Issue resolution", ("call_center", "review_site", "weibo"), (
            Touchpoint("complaint", "投诉处理", "Complaint handling", "customer_service", -0.3,
                       ("客服当天就退回了错扣的钱", "处理完还有专人回访"),
                       ("Customer service refunded the wrong charge the same day",
                        "Someone followed up after it was resolved"),
                       ("投诉转了好几个部门没人负责", "客服热线转人工要等二十分钟"),
                       ("My complaint was passed between departments and nobody took charge",
                        "Reaching a person on the hotline took twenty minutes")),
            Touchpoint("fraud_support", "盗刷处理", "Fraud support", "customer_service", 0.0,
                       ("发现盗刷马上帮我冻结了卡", "被盗刷的钱很快追回了"),
                       ("They froze my card as soon as the fraud was spotted",
                        "The stolen money was recovered quickly"),
                       ("被盗刷后要自己跑派出所开证明", "盗刷的钱两个月还没退"),
                       ("After the fraud I had to get a police report myself",
                        "The fraudulent charges were still not refunded after two months")),
        )),
        Stage("loyalty", "长期关系", "Long-term relationship", ("wechat_oa", "app"), (
            Touchpoint("rewards", "积分与权益", "Rewards & perks", "marketing", 0.2,
                       ("信用卡积分能换很多东西", "贵宾客户权益很实用"),
                       ("Credit card points buy lots of things", "The premium client perks are genuinely useful"),
                       ("积分能兑换的商品太少", "说好免年费却还是扣了"),
                       ("Too few items to redeem points for",
                        "The annual fee was charged despite the promised waiver")),
        )),
    ),
)

AUTO = Industry(
    code="auto",
    zh="汽车",
    en="Automotive",
    products=(("紧凑型轿车", "Compact sedan"), ("SUV", "SUV"), ("新能源车", "New-energy vehicle"),
              ("延保服务", "Extended warranty"), ("保养套餐", "Maintenance package")),
    attributes=(("顾问专业友好", "Advisor professionalism"), ("交车与维修效率", "Delivery & repair speed"),
                ("车辆与维修质量", "Vehicle & repair quality"), ("价格透明与性价比", "Price transparency & value"),
                ("车主App体验", "Owner app experience")),
    stages=(
        Stage("awareness", "品牌认知", "Awareness", ("weibo", "wechat_oa"), (
            Touchpoint("online_content", "车型内容与广告", "Model content & ads", "marketing", 0.2,
                       ("车型介绍视频很直观", "配置对比一目了然"),
                       ("The model video was easy to follow", "The trim comparison was clear at a glance"),
                       ("宣传的续航和实际差很多", "官网配置和实车不一样"),
                       ("The advertised range was far from reality",
                        "The website specs differed from the actual car")),
        )),
        Stage("showroom", "到店看车", "Showroom visit", ("review_site", "wechat_mini"), (
            Touchpoint("sales_consultant", "销售顾问接待", "Sales consultant", "sales", 0.1,
                       ("销售顾问讲解很耐心", "没有强行推销"),
                       ("The sales consultant explained things patiently", "There was no hard sell"),
                       ("到店半天没人接待", "销售只会催着交定金"),
                       ("Nobody attended to us for ages", "The salesperson only pushed us to pay a deposit")),
            Touchpoint("test_drive", "试驾", "Test drive", "sales", 0.3,
                       ("试驾路线安排得很合理", "预约当天就有试驾车"),
                       ("The test-drive route was well planned", "A test car was available the same day"),
                       ("试驾只让开了五分钟", "约好了试驾到店却没车"),
                       ("The test drive lasted only five minutes", "I booked a test drive but there was no car")),
        )),
        Stage("purchase", "购车签约", "Purchase", ("sms_survey", "wechat_mini"), (
            Touchpoint("pricing", "报价与优惠", "Quote & discounts", "sales", -0.2,
                       ("报价透明没有套路", "置换补贴很给力"),
                       ("The quote was transparent with no tricks", "The trade-in subsidy was generous"),
                       ("签合同时多出了一堆杂费", "强制捆绑精品和保险"),
                       ("A pile of extra fees appeared at signing", "Accessories and insurance were forced on us")),
            Touchpoint("financing", "贷款分期", "Car financing", "finance", 0.0,
                       ("分期手续办得很快", "首付方案很灵活"),
                       ("The financing paperwork was quick", "The down-payment options were flexible"),
                       ("贷款手续费事先没说", "金融专员催着签字不让细看"),
                       ("The loan handling fee was never mentioned",
                        "The finance officer rushed me to sign without reading")),
        )),
        Stage("delivery", "交车", "Delivery", ("sms_survey", "app"), (
            Touchpoint("handover", "交车", "Vehicle handover", "operations", 0.2,
                       ("交车仪式很有仪式感", "交车时功能讲解很细致"),
                       ("The handover ceremony felt special", "Every feature was explained at handover"),
                       ("交车比约定晚了一个月", "新车有划痕还说是正常的"),
                       ("Delivery was a month later than promised", "The new car had scratches they called normal")),
        )),
        Stage("ownership", "用车", "Ownership", ("app", "wechat_oa"), (
            Touchpoint("owner_app", "车主App", "Owner app", "digital", 0.1,
                       ("App 远程开空调很方便", "保养提醒很及时"),
                       ("Remote climate control in the app is handy", "Service reminders arrive on time"),
                       ("App 经常连不上车", "车机系统老是卡顿"),
                       ("The app often cannot connect to the car", "The infotainment system keeps freezing")),
        )),
        Stage("after_sales", "售后维保", "After-sales service", ("sms_survey", "call_center", "app"), (
            Touchpoint("maintenance", "保养维修", "Maintenance & repair", "operations", -0.3,
                       ("保养一小时就做完了", "修完问题彻底解决了"),
                       ("The service was done in an hour", "The repair fixed the problem for good"),
                       ("做个保养等了一整天", "修完同样的毛病又出现了"),
                       ("A routine service took a whole day", "The same fault came back after the repair")),
            Touchpoint("parts_pricing", "配件与工时费", "Parts & labour charges", "finance", -0.1,
                       ("工时费明码标价", "原厂配件价格合理"),
                       ("Labour rates were clearly posted", "Genuine parts were fairly priced"),
                       ("保养被加了很多不必要的项目", "配件要等两周才到货"),
                       ("Lots of unnecessary items were added to the service", "Parts took two weeks to arrive")),
            Touchpoint("complaint", "投诉处理", "Complaint handling", "customer_service", -0.2,
                       ("服务经理亲自跟进处理", "投诉后很快给了解决方案"),
                       ("The service manager followed up in person", "A solution came soon after my complaint"),
                       ("投诉后4S店和厂家互相推诿", "打了五次电话都没人回"),
                       ("After my complaint the dealer and the maker blamed each other",
                        "Five calls and nobody called back")),
        )),
        Stage("loyalty", "车主忠诚", "Owner loyalty", ("wechat_oa", "weibo", "review_site"), (
            Touchpoint("owner_club", "车主俱乐部", "Owner club", "marketing", 0.2,
                       ("车主活动办得很用心", "推荐朋友买车有奖励"),
                       ("The owner events were thoughtfully run", "Referring a friend earned a reward"),
                       ("车主活动名额太少抢不到", "说好的终身免费保养不兑现"),
                       ("Owner events fill up before I can sign up",
                        "The promised lifetime free servicing was not honoured")),
        )),
    ),
)

INSURANCE = Industry(
    code="insurance",
    zh="保险",
    en="Insurance",
    products=(("车险", "Car insurance"), ("重疾险", "Critical illness insurance"), ("医疗险", "Medical insurance"),
              ("寿险", "Life insurance"), ("意外险", "Accident insurance")),
    attributes=(("代理人与客服专业度", "Agent & service professionalism"), ("办理与理赔速度", "Service & claims speed"),
                ("条款清晰赔付可靠", "Clear terms & reliable payouts"), ("保费性价比", "Premium value for money"),
                ("App/小程序体验", "App & mini-program experience")),
    stages=(
        Stage("awareness", "了解", "Awareness", ("weibo", "wechat_oa"), (
            Touchpoint("content", "保险科普", "Insurance explainers", "marketing", 0.1,
                       ("公众号的保险科普很好懂", "理赔案例讲得很实在"),
                       ("The explainers on the official account were easy to follow",
                        "The claim stories were down to earth"),
                       ("广告把保障说得太夸张", "推送太频繁像骚扰"),
                       ("The ads exaggerated the coverage", "The pushes were so frequent they felt like spam")),
        )),
        Stage("consultation", "咨询选购", "Consultation", ("wechat_mini", "call_center"), (
            Touchpoint("agent_advice", "代理人咨询", "Agent advice", "sales", 0.0,
                       ("代理人根据家里情况推荐方案", "免责条款讲得很清楚"),
                       ("The agent tailored the plan to my family", "The exclusions were clearly explained"),
                       ("代理人只挑好听的说", "问到免责条款就含糊其辞"),
                       ("The agent only told me the good parts", "The agent was evasive about exclusions")),
            Touchpoint("online_quote", "在线报价", "Online quote", "digital", 0.2,
                       ("小程序几分钟就出了报价", "不同方案对比很清楚"),
                       ("The mini-program gave a quote in minutes", "The plan comparison was very clear"),
                       ("报价要填一大堆个人信息", "线上报价和最终保费不一样"),
                       ("Getting a quote demanded loads of personal details",
                        "The online quote differed from the final premium")),
        )),
        Stage("purchase", "投保", "Purchase", ("app", "wechat_mini"), (
            Touchpoint("underwriting", "核保出单", "Underwriting & issuance", "operations", 0.1,
                       ("当天就收到了电子保单", "健康告知问得很明白"),
                       ("The e-policy arrived the same day", "The health questions were clear"),
                       ("核保拖了两周才出结果", "健康告知问题模棱两可"),
                       ("Underwriting took two weeks", "The health questions were ambiguous")),
            Touchpoint("payment", "保费支付", "Premium payment", "finance", 0.2,
                       ("微信自动续费很省心", "分期缴费很灵活"),
                       ("Automatic WeChat renewal payments are hassle-free", "Paying in instalments was flexible"),
                       ("扣款失败也没有提醒", "重复扣了两次保费"),
                       ("A failed payment came with no warning", "I was charged the premium twice")),
        )),
        Stage("policy_service", "保单服务", "Policy servicing", ("app", "sms_survey"), (
            Touchpoint("policy_changes", "保全变更", "Policy changes", "operations", 0.0,
                       ("在App上改受益人很方便", "变更当天就生效了"),
                       ("Changing the beneficiary in the app was easy", "The change took effect the same day"),
                       ("改个地址要跑柜面", "变更申请提交后没有回音"),
                       ("Updating my address meant going to a branch",
                        "The change request vanished without a reply")),
        )),
        Stage("claims", "理赔", "Claims", ("sms_survey", "call_center", "app"), (
            Touchpoint("claim_filing", "理赔报案", "Claim filing", "digital", 0.1,
                       ("拍照上传就能报案", "理赔进度随时能查"),
                       ("I filed the claim just by uploading photos", "I could check the claim status anytime"),
                       ("理赔材料要求反复补交", "上传材料总是失败"),
                       ("I was asked for more claim documents again and again",
                        "Uploading the documents kept failing")),
            Touchpoint("claim_settlement", "理赔审核赔付", "Claim assessment & payout", "operations", -0.4,
                       ("三天就赔付到账了", "查勘员当天就到了现场"),
                       ("The payout arrived in three days", "The assessor came out the same day"),
                       ("理赔拖了两个月还没赔", "找各种理由拒赔"),
                       ("Two months on the claim still has not been paid",
                        "They kept finding excuses to reject the claim")),
            Touchpoint("claim_dispute", "理赔投诉", "Claim complaints", "customer_service", -0.3,
                       ("投诉后专人重新审核了", "客服耐心解释了赔付金额"),
                       ("After my complaint a specialist re-reviewed the claim",
                        "Customer service patiently explained the payout"),
                       ("投诉热线一直打不通", "投诉后只会让我等通知"),
                       ("The complaints hotline never got through", "After complaining I was only told to wait")),
        )),
        Stage("renewal", "续保与忠诚", "Renewal & loyalty", ("wechat_oa", "review_site", "weibo"), (
            Touchpoint("renewal", "续保", "Renewal", "sales", 0.0,
                       ("续保提醒很及时", "老客户续保有优惠"),
                       ("The renewal reminder came in good time", "Loyal customers get a renewal discount"),
                       ("续保保费莫名涨了很多", "续保电话一天打好几个"),
                       ("The renewal premium jumped for no reason", "Renewal sales calls came several times a day")),
            Touchpoint("member_benefits", "增值服务", "Value-added benefits", "marketing", 0.3,
                       ("送的免费体检很实用", "车险送的道路救援很及时"),
                       ("The free health check was really useful",
                        "The roadside assistance with my car policy came fast"),
                       ("增值服务预约不上", "说好的权益根本用不了"),
                       ("The value-added services could never be booked",
                        "The promised benefits could not actually be used")),
        )),
    ),
)

RETAIL = Industry(
    code="retail",
    zh="零售",
    en="Retail",
    products=(("生鲜食品", "Fresh food"), ("家居日用", "Household essentials"), ("美妆个护", "Beauty & personal care"),
              ("家用电器", "Home appliances"), ("服装鞋包", "Clothing, shoes & bags")),
    attributes=(("店员服务态度", "Store staff attitude"), ("结账与配送速度", "Checkout & delivery speed"),
                ("商品质量与库存", "Product quality & availability"), ("价格与促销", "Prices & promotions"),
                ("App/小程序购物体验", "App & mini-program shopping experience")),
    stages=(
        Stage("discovery", "发现", "Discovery", ("weibo", "wechat_oa"), (
            Touchpoint("promotions", "促销活动", "Promotions", "marketing", 0.1,
                       ("满减活动很划算", "优惠券领取很方便"),
                       ("The spend-and-save deal was great value", "Coupons were easy to claim"),
                       ("优惠券规则太复杂", "促销价其实先涨后降"),
                       ("The coupon rules were too complicated", "The sale price was raised first and then cut")),
        )),
        Stage("browsing", "选购", "Browsing", ("review_site", "wechat_mini"), (
            Touchpoint("store_visit", "门店购物", "In-store shopping", "operations", 0.2,
                       ("门店干净货架整齐", "店员帮忙找货很热情"),
                       ("The store was clean and tidy", "Staff were happy to help me find things"),
                       ("想买的东西总是缺货", "找不到店员问问题"),
                       ("What I wanted was always out of stock", "There was no staff member to ask")),
            Touchpoint("online_browsing", "线上浏览", "Online browsing", "digital", 0.1,
                       ("小程序搜索很准", "商品详情写得很清楚"),
                       ("Search in the mini-program was accurate", "Product details were clearly described"),
                       ("线上显示有货门店却没有", "商品图片和实物差别大"),
                       ("Online showed it in stock but the store had none",
                        "The product photos looked nothing like the real item")),
        )),
        Stage("checkout", "结账支付", "Checkout", ("sms_survey", "app"), (
            Touchpoint("store_checkout", "门店收银", "Store checkout", "operations", -0.3,
                       ("自助收银很快", "收银员态度很好"),
                       ("Self-checkout was quick", "The cashier was very friendly"),
                       ("收银只开了一个台排长队", "会员价没有自动减"),
                       ("Only one till was open and the queue was huge", "The member price was not applied")),
            Touchpoint("online_payment", "线上下单支付", "Online ordering & payment", "digital", 0.2,
                       ("下单付款很顺畅", "优惠券自动抵扣很省心"),
                       ("Ordering and paying was smooth", "Coupons were applied automatically"),
                       ("付款时页面卡住了", "优惠券用不了"),
                       ("The page froze at payment", "The coupon would not work")),
        )),
        Stage("fulfilment", "配送自提", "Delivery & pickup", ("sms_survey", "app", "wechat_mini"), (
            Touchpoint("home_delivery", "送货到家", "Home delivery", "operations", -0.2,
                       ("一小时就送到家了", "生鲜送到还很新鲜"),
                       ("It was delivered within an hour", "The fresh food arrived still fresh"),
                       ("配送超时两个小时", "鸡蛋送到碎了好几个"),
                       ("The delivery was two hours late", "Several eggs arrived broken")),
            Touchpoint("store_pickup", "门店自提", "Click & collect", "operations", 0.1,
                       ("到店自提不用排队", "备货速度很快"),
                       ("Store pickup needed no queueing", "The order was ready quickly"),
                       ("到店了订单还没备好", "自提点找了半天"),
                       ("The order was not ready when I arrived", "It took ages to find the pickup point")),
        )),
        Stage("after_sales", "售后服务", "After-sales service", ("call_center", "review_site", "weibo"), (
            Touchpoint("returns", "退换货", "Returns & exchanges", "customer_service", -0.2,
                       ("线上买的可以到门店退", "退款当天就到账了"),
                       ("I could return an online order at the store", "The refund arrived the same day"),
                       ("退货要自己付运费还要等一周", "门店不认线上订单不给退"),
                       ("I had to pay return postage and wait a week",
                        "The store refused to accept an online order return")),
            Touchpoint("complaint", "投诉处理", "Complaint handling", "customer_service", -0.3,
                       ("客服很快补发了缺的商品", "投诉后主动给了补偿券"),
                       ("Customer service quickly resent the missing item",
                        "I was offered a voucher after my complaint"),
                       ("客服只会复制粘贴回复", "投诉三天没有任何回音"),
                       ("Customer service only sent copy-and-paste replies",
                        "Three days on my complaint has had no reply")),
        )),
        Stage("loyalty", "会员忠诚", "Membership & loyalty", ("wechat_oa", "app", "wechat_mini"), (
            Touchpoint("membership", "会员积分", "Membership points", "marketing", 0.2,
                       ("积分可以直接抵现", "会员日折扣很给力"),
                       ("Points can be used as cash", "Member-day discounts are generous"),
                       ("积分清零没有提醒", "线上线下积分不通用"),
                       ("My points were wiped with no warning", "Online and in-store points cannot be combined")),
            Touchpoint("personalised_offers", "个性化推荐", "Personalised offers", "digital", 0.0,
                       ("推荐的商品正是我需要的", "生日券很贴心"),
                       ("The recommended items were just what I needed",
                        "The birthday voucher was a thoughtful touch"),
                       ("推送的都是我刚买过的东西", "推送消息太多只好关掉"),
                       ("The offers were all for things I had just bought",
                        "So many push messages I turned them off")),
        )),
    ),
)

INDUSTRIES: dict[str, Industry] = {
    HOTEL.code: HOTEL,
    AIRLINE.code: AIRLINE,
    BANK.code: BANK,
    AUTO.code: AUTO,
    INSURANCE.code: INSURANCE,
    RETAIL.code: RETAIL,
}
