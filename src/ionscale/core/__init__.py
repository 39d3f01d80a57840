"""The shared ground of every analysis: the table of results (:mod:`.table`), error bars from blocks or
replicas with their method labels (:mod:`.estimate`) and whole-or-absent files (:mod:`.files`). It
imports no other part of ionscale."""
