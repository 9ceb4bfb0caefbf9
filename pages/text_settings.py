"""Text settings (admin): user dictionary, stop words, synonyms, sentiment words and the topic taxonomy,
saved as versions; a save shows how many stored comments it touches, and a rebuild re-analyses them
batch by batch (each batch its own transaction, so everyone else keeps working) with a progress bar.
"""

from __future__ import annotations

import json

import streamlit as st

from cem_core.i18n import fmt_int, t
from cem_core.text import settings, store
from cem_core.text.dictionaries import INDUSTRIES
from cem_core.text.forms import changed_words, parse_lexicon, parse_lines, parse_synonyms, show_lexicon, show_synonyms
from cem_core.text.sentiment import engine_for
from cem_core.ui import cache
from cem_core.ui.context import T, lang, require

user = require("manage_data")
L = lang()
engine = cache.engine()

st.title(T("text.settings.title"))
st.caption(T("text.settings.caption"))
with engine.connect() as conn:
    version, industry, current = settings.active(conn)

with st.form("tx_settings_form"):
    new_industry = st.selectbox(T("text.settings.industry"), INDUSTRIES, index=INDUSTRIES.index(industry),
                                key="tx_set_industry")
    c1, c2 = st.columns(2)
    words = c1.text_area(T("text.settings.user_words"), "\n".join(current["user_words"]), key="tx_set_words")
    stop = c2.text_area(T("text.settings.stopwords"), "\n".join(current["stopwords"]), key="tx_set_stop")
    unstop = c1.text_area(T("text.settings.stopwords_removed"), "\n".join(current["stopwords_removed"]),
                          key="tx_set_unstop")
    syn = c2.text_area(T("text.settings.synonyms"), show_synonyms(current["synonyms"]), key="tx_set_syn")
    lex = c1.text_area(T("text.settings.lexicon"), show_lexicon(current["lexicon"]), key="tx_set_lex")
    topics = c2.text_area(T("text.settings.topics"), json.dumps(current["topics"], ensure_ascii=False, indent=1)
                          if current["topics"] is not None else "", key="tx_set_topics")
    note = st.text_input(T("text.settings.note"), key="tx_set_note")
    submitted = st.form_submit_button(T("text.settings.save"))

if submitted:
    try:
        overrides = {"user_words": parse_lines(words), "stopwords": parse_lines(stop),
                     "stopwords_removed": parse_lines(unstop), "synonyms": parse_synonyms(syn),
                     "lexicon": parse_lexicon(lex), "topics": json.loads(topics) if topics.strip() else None}
        touched = changed_words(current, overrides)
        new_version = settings.save(engine, new_industry, overrides, user=user.username, note=note)
    except (ValueError, KeyError, TypeError) as exc:
        st.error(T("text.settings.invalid", err=str(exc)[:200]))
    else:
        n = settings.affected(engine, [] if new_industry != industry or overrides["topics"] != current["topics"]
                              else touched)
        st.success(T("text.settings.saved", v=new_version))
        st.info(T("text.settings.affected", n=fmt_int(n, L)))

stale = settings.stale(engine)
if stale:
    with engine.connect() as conn:
        st.warning(T("text.settings.stale", n=fmt_int(stale, L), v=settings.active(conn)[0]))

if st.button(T("text.settings.rebuild"), key="tx_rebuild", type="primary"):
    bar = st.progress(0.0, text=T("text.settings.rebuilding"))
    done = store.reanalyse(engine, lambda frac, _msg: bar.progress(frac, text=T("text.settings.rebuilding")))
    bar.empty()
    cache.clear()
    st.success(T("text.settings.rebuilt", n=fmt_int(done, L)))

st.subheader(T("text.settings.try"), anchor=False)
sample = st.text_input(T("text.settings.try"), key="tx_try", label_visibility="collapsed")
if sample:
    verdict = engine_for(settings.active_config_of(engine)).analyse(sample)
    st.write(T("text.settings.try_result", label=t(f"text.sent.{verdict.label}", L), score=f"{verdict.score:+.2f}"))
    st.json(verdict.evidence)

st.subheader(T("text.settings.history"), anchor=False)
st.dataframe(settings.history(engine), hide_index=True)
