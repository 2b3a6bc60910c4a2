; a method defined in a class body: name and body
(field_declaration_list
  (function_definition
    declarator: (function_declarator
      declarator: (field_identifier) @name)
    body: (compound_statement) @body) @method)
