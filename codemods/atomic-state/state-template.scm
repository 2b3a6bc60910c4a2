; a value shared program-wide, the C++14 way: a static data member of a class template
; template <typename Unused = void> struct <name> { static <type> <member>; };
(template_declaration
  parameters: (template_parameter_list)
  (struct_specifier
    name: (type_identifier) @struct
    body: (field_declaration_list
      (field_declaration
        (storage_class_specifier) @static
        type: (_) @type
        declarator: (field_identifier) @member) @field))
  (#eq? @static "static")) @template
