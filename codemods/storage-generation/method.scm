; a method defined in a class body: name, parameters and body
(field_declaration_list
  (function_definition
    declarator: (function_declarator
      declarator: (field_identifier) @name
      parameters: (parameter_list) @params)
    body: (compound_statement) @body) @method)
