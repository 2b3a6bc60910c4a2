// memfix(release-accounting): the accounting goes with the pieces
{{lru}}.clear();
