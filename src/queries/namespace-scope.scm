; declarations and function definitions at namespace (or file) scope, also inside include
; guards and other preprocessor conditionals
; memfix: rare (few matches in any file: on a large file it runs with the other rare queries)
[
  (translation_unit [(declaration) (function_definition)] @item)
  (declaration_list [(declaration) (function_definition)] @item)
  (preproc_ifdef [(declaration) (function_definition)] @item)
  (preproc_if [(declaration) (function_definition)] @item)
  (preproc_else [(declaration) (function_definition)] @item)
]
