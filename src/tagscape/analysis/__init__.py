"""Tag analysis: what a tagger says about a track, a tag, a pair of tags, and how it compares.

* :mod:`.tags` - a track's taggram, the top segments of a tag, its distribution, track means;
* :mod:`.correlation` - Pearson / Spearman of tag pairs and the clustered correlation matrix;
* :mod:`.agreement` - how similar the models' tag rankings of one track are;
* :mod:`.groundtruth` - ROC-AUC / PR-AUC against a collection's own tags, through a written
  mapping from MTG-Jamendo / file-metadata tags to the models' tags.

Numeric functions take arrays and return arrays; the ``collection``-level helpers only read
layers through :class:`tagscape.collection.Collection`. Nothing here imports flask or click.
"""
