; `<map>[<key>] = <value>;`: a statement that records a piece in a member map (the LRU's
; last-use entry, in the storage's write or hash method); shape.ts keeps the LRU's
(expression_statement
  (assignment_expression
    left: (subscript_expression
      argument: (identifier) @map
      indices: (subscript_argument_list . (_) @key .))
    operator: "="
    right: (_) @value)) @stmt
