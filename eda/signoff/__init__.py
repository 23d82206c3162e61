"""Sign-off: DRC (:mod:`eda.signoff.drc`), LVS (:mod:`eda.signoff.lvs`), layout render
(:mod:`eda.signoff.render`) and limit checks; every check fails a flow (exit code 1) on violations."""
