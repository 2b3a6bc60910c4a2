; a method defined in a class body: its name, parameters and body. The same text as
; other codemods' method.scm: the engine compiles it once and their views share its matches.
(field_declaration_list
  (function_definition
    declarator: (function_declarator
      declarator: (field_identifier) @name
      parameters: (parameter_list) @params)
    body: (compound_statement) @body) @method)
