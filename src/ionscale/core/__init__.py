"""The shared ground of every analysis: the table of results (:mod:`.table`) and whole-or-absent files
(:mod:`.files`). It imports no other part of ionscale."""
