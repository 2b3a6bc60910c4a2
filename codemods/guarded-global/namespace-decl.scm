; A declaration directly in a namespace body or at file scope: a candidate for the global
; pointer to the live disk I/O or for the mutex that guards it.
[
  (translation_unit (declaration) @decl)
  (declaration_list (declaration) @decl)
]
