"""Column mapping: header -> field, from Chinese and English synonyms, value shapes, or a saved template.

A mapping is a plain ``{header: field}`` dict (the same shape as the CLI's ``--mapping FILE.json``).
Fields are the ``responses`` columns plus customer identity and dimension values; ``attribute:<name>``
stores the column as an attribute rating (a key driver), ``ignore`` drops it. ``occurred_at:mdy``,
``occurred_at:dmy`` and ``occurred_at:ymd`` are the date field with the column's order of year-last dates
(09/15/2024) chosen, so the choice is saved with a template like any other. Numeric 1-5 / 1-10
columns that match no synonym become attribute ratings, because that is what extra numeric
questions in a survey export almost always are.

Templates are keyed by the set of normalised headers, so an export from the same system maps itself
the next time, whatever the file is called.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata

import pandas as pd
from sqlalchemy import Connection, Engine, select

from cem_core.ingest.headers import Header
from cem_core.ingest.read import RawTable
from cem_core.ingest.validate import DATE_ORDERS

IGNORE = "ignore"
ATTRIBUTE = "attribute:"

#: field -> synonyms (compared after ``norm``); the longest synonym contained in a header wins.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "occurred_at": ("日期", "时间", "提交时间", "提交日期", "填写时间", "填写日期", "反馈时间", "反馈日期", "评价时间",
                    "评论时间", "创建时间", "发布时间", "来电时间", "通话时间", "答卷时间", "完成时间", "date", "time",
                    "datetime", "timestamp", "submitted", "submittedat", "submitdate", "createdat", "created",
                    "responsedate", "occurredat", "posted", "postedat"),
    "nps": ("推荐意愿", "推荐度", "推荐指数", "推荐可能性", "推荐分", "推荐", "净推荐值", "nps",
            "likelihoodtorecommend", "recommend", "npsscore"),
    "csat": ("满意度", "满意度评分", "满意程度", "满意", "csat", "satisfaction", "csatscore"),
    "overall_sat": ("总体满意度", "整体满意度", "综合满意度", "总体评价", "overallsatisfaction", "overallsat",
                    "overall"),
    "ces": ("费力度", "费力程度", "客户费力度", "容易程度", "便捷程度", "省力程度", "ces", "effort",
            "customereffort", "ease", "customereffortscore"),
    "comment": ("意见", "评论", "反馈内容", "反馈", "留言", "建议", "意见建议", "评价内容", "评价", "内容", "正文",
                "微博内容", "通话记录", "通话摘要", "问题描述", "备注", "verbatim", "comment", "comments", "feedback",
                "review", "text", "remarks", "content", "suggestion", "opentext"),
    "customer_key": ("客户id", "客户编号", "客户号", "会员号", "会员编号", "会员卡号", "会员id", "用户id", "用户编号",
                     "customerid", "memberid", "memberno", "userid", "customerno", "clientid", "customerkey"),
    "phone": ("手机号", "手机号码", "手机", "电话", "联系电话", "电话号码", "联系方式", "mobile", "phone", "telephone",
              "tel", "cell", "phonenumber"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail"),
    "name": ("姓名", "客户姓名", "名字", "称呼", "昵称", "name", "customername", "fullname", "nickname"),
    "channel": ("渠道", "来源", "来源渠道", "反馈渠道", "平台", "channel", "source", "platform"),
    "stage": ("旅程阶段", "阶段", "环节", "stage", "journeystage"),
    "touchpoint": ("触点", "接触点", "触点名称", "touchpoint", "touchpoints"),
    "region": ("门店", "区域", "地区", "城市", "省份", "大区", "分店", "网点", "store", "region", "area", "city",
               "branch", "shop"),
    "product": ("产品", "产品名称", "商品", "房型", "服务项目", "车型", "航线", "product", "item", "sku", "model",
                "productname"),
    "segment": ("客群", "客户类型", "会员等级", "会员级别", "客户分群", "客户等级", "segment", "tier", "customertype",
                "membership", "level"),
    "spend": ("消费金额", "金额", "消费", "订单金额", "支付金额", "花费", "实付金额", "spend", "amount", "revenue",
              "ordervalue", "spent", "orderamount"),
    "journey_key": ("旅程id", "旅程编号", "订单号", "订单编号", "journeyid", "journeykey", "orderid", "orderno"),
    "journey_step": ("旅程步骤", "步骤", "journeystep", "step"),
    "language": ("语言", "language", "lang"),
}
FIELDS: tuple[str, ...] = tuple(SYNONYMS)
DATE_FIELD = "occurred_at"
DATE_CHOICES: tuple[str, ...] = tuple(f"{DATE_FIELD}:{o}" for o in DATE_ORDERS)
_LOOKUP = sorted(((syn, f) for f, syns in SYNONYMS.items() for syn in syns), key=lambda p: -len(p[0]))
_NOISE = re.compile(r"[（(【\[].*?[)）】\]]|[\s_\-:：/\\.,，。?？!！*#\"'“”]")


def norm(header: str) -> str:
    """Comparable form of a header: NFKC, lower case, bracketed notes ("（0-10分）") and punctuation removed."""
    text = unicodedata.normalize("NFKC", str(header)).lower()
    stripped = _NOISE.sub("", text)
    return stripped or re.sub(r"\s+", "", text)


def field_for(header: str) -> tuple[str, bool] | None:
    """The field a header names and whether by an exact synonym (else the longest synonym it contains)."""
    key = norm(header)
    if not key or key.startswith("column"):
        return None
    for syn, f in _LOOKUP:
        if key == syn:
            return f, True
    for syn, f in _LOOKUP:
        if len(syn) >= 2 and syn in key:
            return f, False
    return None


def _numbers(values: list[object]) -> pd.Series:
    cells = [v for v in values if v not in (None, "") and not isinstance(v, dt.date | dt.time)]
    if not cells:
        return pd.Series(dtype=float)
    s = pd.Series([unicodedata.normalize("NFKC", str(v)).strip() for v in cells])
    return pd.to_numeric(s.str.replace(r"分$", "", regex=True), errors="coerce")


def _rating_scale(values: list[object]) -> int | None:
    """5 or 10 when nearly all non-blank sample values are whole numbers on a 1-5 or 1-10 scale."""
    nums = _numbers(values)
    if len(nums) < 2 or nums.isna().mean() > 0.1:
        return None
    nums = nums.dropna()
    if not (nums == nums.round()).all() or nums.min() < 0:
        return None
    if nums.max() <= 5 and nums.min() >= 1:
        return 5
    if nums.max() <= 10 and nums.min() >= 1:
        return 10
    return None


def auto_mapping(table: RawTable, header: Header) -> dict[str, str]:
    """Guess a field for every column; exact synonyms claim their field before partial ones."""
    body = table.head[header.row + 1:]
    columns = {name: [r[i] if i < len(r) else None for r in body] for i, name in enumerate(header.names)}
    guesses: dict[str, tuple[str, bool]] = {}
    for name, values in columns.items():
        found = field_for(name)
        if found and found[0] == "csat" and _numbers(values).max() > 5:
            found = ("overall_sat", found[1])  # "满意度" asked on 1-10 is overall satisfaction, not CSAT
        if found:
            guesses[name] = found
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for exact in (True, False):
        for name, (f, is_exact) in guesses.items():
            if is_exact == exact and f not in taken:
                mapping[name] = f
                taken.add(f)
    for name, values in columns.items():
        if name not in mapping:
            mapping[name] = ATTRIBUTE + name if _rating_scale(values) else IGNORE
    return {name: mapping[name] for name in columns}


def merge(auto: dict[str, str], override: dict[str, str] | None) -> dict[str, str]:
    """The automatic mapping with the user's choices (template, UI or ``--mapping``) on top."""
    if not override:
        return dict(auto)
    return {h: override.get(h, override.get(norm(h), f)) for h, f in auto.items()}


def base_field(choice: str) -> str:
    """The field a mapping choice stores into: ``occurred_at:dmy`` -> ``occurred_at``."""
    return DATE_FIELD if choice in DATE_CHOICES else choice


def date_order_of(choice: str) -> str | None:
    """The date order a mapping choice fixes (``occurred_at:dmy`` -> ``dmy``), None when it fixes none."""
    return choice.rsplit(":", 1)[1] if choice in DATE_CHOICES else None


def check_fields(mapping: dict[str, str]) -> list[str]:
    """Unknown field names in a user-supplied mapping (shown as an error rather than silently ignored)."""
    return [f for f in mapping.values()
            if f != IGNORE and f not in FIELDS and f not in DATE_CHOICES and not f.startswith(ATTRIBUTE)]


def load_mapping_file(path: str) -> dict[str, str]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ValueError("mapping file must be a JSON object of header -> field")
    return data


# ---------------------------------------------------------------- templates

def signature(headers: list[str]) -> str:
    """Identity of a header set, independent of order, spacing and case."""
    return hashlib.sha256("\x1f".join(sorted(norm(h) for h in headers)).encode()).hexdigest()


def find_template(engine_or_conn: Engine | Connection, headers: list[str]) -> tuple[str, dict[str, str]] | None:
    """The newest template saved for this header set: (name, mapping)."""
    from cem_core.db.models import MappingTemplate

    t = MappingTemplate.__table__
    stmt = select(t.c.name, t.c.mapping).where(t.c.signature == signature(headers)).order_by(t.c.updated_at.desc())
    if isinstance(engine_or_conn, Connection):
        row = engine_or_conn.execute(stmt).first()
    else:
        with engine_or_conn.connect() as conn:
            row = conn.execute(stmt).first()
    return (row[0], json.loads(row[1])) if row else None


def save_template(engine: Engine, name: str, headers: list[str], mapping: dict[str, str], user: str) -> None:
    """Create or replace the template ``name``."""
    from cem_core.db import write_transaction
    from cem_core.db.models import MappingTemplate

    t = MappingTemplate.__table__
    now = dt.datetime.now()
    values = {"signature": signature(headers), "mapping": json.dumps(mapping, ensure_ascii=False),
              "created_by": user, "updated_at": now}
    with write_transaction(engine) as conn:
        if conn.execute(select(t.c.id).where(t.c.name == name)).first():
            conn.execute(t.update().where(t.c.name == name).values(**values))
        else:
            conn.execute(t.insert().values(name=name, **values))


def list_templates(engine: Engine) -> list[str]:
    from cem_core.db.models import MappingTemplate

    with engine.connect() as conn:
        return list(conn.execute(select(MappingTemplate.name).order_by(MappingTemplate.name)).scalars())
