; TODO: the structure this codemod locates (tree-sitter-cpp); ctx.query('target') compiles it
(function_definition declarator: (function_declarator declarator: (field_identifier) @name)) @method
