; `std::make_unique<T>(...)` / `std::make_shared<T>(...)`, qualified or not.
(call_expression
  function: [
    (qualified_identifier name: (template_function name: (identifier) @maker arguments: (template_argument_list) @targs))
    (template_function name: (identifier) @maker arguments: (template_argument_list) @targs)
  ]
  (#match? @maker "^make_(unique|shared)$")) @call
