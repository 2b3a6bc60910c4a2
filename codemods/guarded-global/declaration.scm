; A declaration: its type and declarator. The transform keeps scoped locks taken by a local
; (`std::lock_guard<std::mutex> l(m);`, `std::unique_lock l{m};`, `std::scoped_lock l(m);`: see
; isScopedLock); with a bare identifier argument tree-sitter may read one as a function
; declaration, so the declarator is left open and the transform looks for the mutex's name in it.
(declaration type: (_) @type declarator: (_) @declarator) @decl
