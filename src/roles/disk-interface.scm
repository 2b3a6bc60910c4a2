; A variable declaration (candidate: the global pointer to the live disk I/O object).
(declaration type: (_) @type declarator: (_) @declarator) @decl
