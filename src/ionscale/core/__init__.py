"""The shared ground of every analysis: the table of results (:mod:`.table`), the base of every result
with its files and one save/load (:mod:`.result`), error bars from blocks or replicas with their method
labels (:mod:`.estimate`), the units table (:mod:`.units`) and whole-or-absent files (:mod:`.files`). It
imports no other part of ionscale but :mod:`ionscale.errors`."""
