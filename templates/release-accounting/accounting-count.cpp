// memfix(release-accounting): the accounting goes with the pieces
{{counter}} = 0;
