"""Personal data, one rule for the whole product.

- ``columns``: the one map of which columns hold personal data, and of what kind.
- ``masking``: the one masking rule, for values, free text (phones and emails typed into comments),
  records and frames.
- ``release``: what leaves the app (views and downloads): masked unless the user may unmask, audited.
- ``hashing``: normalised phones and emails and their keyed hashes, for matching without clear text.
- ``deletion``: finding and deleting a customer on request.

This package imports nothing at its top: ``audit`` uses ``masking`` and ``release`` uses ``audit``, so
each caller imports the module it needs.
"""
