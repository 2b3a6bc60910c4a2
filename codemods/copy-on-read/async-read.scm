; async_read(...) defined in the class body
(field_declaration_list
  (function_definition
    declarator: (function_declarator
      declarator: (field_identifier) @name
      parameters: (parameter_list) @params)
    body: (compound_statement) @body) @method
  (#eq? @name "async_read"))
