; a value shared program-wide, the C++14 way: a static data member of a class template
; template <typename Unused = void> struct <name> { static <type> <member>; };
; (shape.ts keeps the members declared `static`: a storage class in the pattern would cost
; tree-sitter's analysis three times what the rest of it does)
; memfix: rare (few matches in any file: on a large file it runs with the other rare queries)
(template_declaration
  parameters: (template_parameter_list)
  (struct_specifier
    name: (type_identifier) @struct
    body: (field_declaration_list
      (field_declaration
        type: (_) @type
        declarator: (field_identifier) @member) @field))) @template
