"""Open-text analytics: tokens, sentiment with evidence, topics, stored at write time and counted from rollups.

- ``dictionaries``: shipped defaults (``data/``) + an admin's overrides -> one ``TextConfig``
- ``tokens``: comment -> display terms (rjieba + user words, stop words, synonyms, plural folding)
- ``sentiment``: lexicon + rules -> label, score, evidence; ``evaluate`` measures it on labelled sets
- ``topics``: the two-level taxonomy, per-clause topic sentiment, suggested new topics
- ``analyze``: all of the above for one comment
- ``store``: what writers call in their transaction (``add_batch``, ``rebuild_batches``), re-analysis
- ``rows``: comment -> the stored row (``Analyses``: each distinct comment once per import); ``packed``: a
  chunk's rows packed into arrays (``Packed``), built where analysed (both light: the helper imports only them)
- ``sums``: the bulk writers' counting (import, demo): analysed comments packed and summed with numpy
- ``helper``: the second core's share of the analysis (a process of its own, ``helper_child``)
- ``settings``: versioned admin settings; ``forms``: the settings page's text areas
- ``report``: the SQL sums the Text page and the CLI read; ``cloud``: the PNG word cloud
- ``highlight``: user text as inert Markdown with a term highlighted; ``cli``: the text commands
"""
