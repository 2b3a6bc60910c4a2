; A scoped lock taken by a local: `std::lock_guard<std::mutex> l(m);`, `std::unique_lock l{m};`,
; `std::scoped_lock l(m);`. With a bare identifier argument tree-sitter may read it as a function
; declaration, so the declarator is left open; the transform looks for the mutex's name in it.
(declaration
  type: (_) @type
  declarator: (_) @declarator
  (#match? @type "(^|::|\\s)(lock_guard|unique_lock|scoped_lock)(\\s*<.*>)?$")) @lock
