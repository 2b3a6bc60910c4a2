; `std::make_unique<T>(...)` / `std::make_shared<T>(...)`, qualified or not.
; memfix: rare (few matches in any file: on a large file it runs with the other rare queries)
(call_expression
  function: [
    (qualified_identifier name: (template_function name: (identifier) @maker arguments: (template_argument_list) @targs))
    (template_function name: (identifier) @maker arguments: (template_argument_list) @targs)
  ]
  (#match? @maker "^make_(unique|shared)$")) @call
