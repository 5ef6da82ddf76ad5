"""The learned metric: a graph encoder trained so that embedding distances match edit distances.

:mod:`~cbred.learned.featurizer` (graphs as PyG batches), :mod:`~cbred.learned.encoder`
(the direction-aware GIN, PyG), :mod:`~cbred.learned.split` (held-out twins),
:mod:`~cbred.learned.datamodule` (anchors, mutants and edit-distance targets, Lightning),
:mod:`~cbred.learned.metric_learner` (the LightningModule) and
:mod:`~cbred.learned.distance` (:class:`~cbred.learned.distance.LearnedDistance`, the
trained encoder as a :class:`~cbred.distances.base.Distance`). ``python train.py`` trains it.

It builds on the spaces, graphs and distances; none of them imports it.
"""
