; a method defined in a class body: its name, parameters and body (transforms narrow it by name)
(field_declaration_list
  (function_definition
    declarator: (function_declarator
      declarator: (field_identifier) @name
      parameters: (parameter_list) @params)
    body: (compound_statement) @body) @method)
