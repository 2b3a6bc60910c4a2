; a conversion to a type: static_cast<T>(x), T(x) (the transform keeps the built-in arithmetic
; types among the callees) and (T)x; the transform types the operand from its declaration
(call_expression
  function: (template_function name: (identifier) @kw arguments: (template_argument_list . (type_descriptor) @type .))
  arguments: (argument_list . (_) @value .)
  (#eq? @kw "static_cast")) @cast
(call_expression
  function: [(primitive_type) (sized_type_specifier) (qualified_identifier) (identifier)] @type
  arguments: (argument_list . (_) @value .)) @cast
(cast_expression type: (type_descriptor) @type value: (_) @value) @cast
