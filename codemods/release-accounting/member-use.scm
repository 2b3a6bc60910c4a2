; <map>.<op>(...) on a member, inside a storage method: erase, clear
(call_expression
  function: (field_expression
    argument: (identifier) @map
    field: (field_identifier) @op)
  (#match? @op "^(erase|clear)$")) @call
