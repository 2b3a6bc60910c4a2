; <object>-><method>() or <object>.<method>(): a call of a storage method through a pointer or reference
(call_expression
  function: (field_expression
    argument: (_) @object
    field: (field_identifier) @fn)
  arguments: (argument_list) @args) @call
