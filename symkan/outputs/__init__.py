"""What a fit leaves behind: the saved model, the run folder's reports, diagram and plots.

``record`` (the JSON record of a result) and ``report`` (markdown, and the one file
writer) ← ``persist`` (`FittedModel`, save/load) ← ``views`` (what a diagram shows) ←
``artifacts`` (every file of a run folder, as strings and bytes). ``render`` ← ``diagram``
and ``plots`` draw; ``htmlreport`` writes the HTML page.
"""
