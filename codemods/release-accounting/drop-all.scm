; every piece dropped at once, past the storage's accounting: <storage>-><data>.clear()
(call_expression
  function: (field_expression
    argument: (field_expression
      field: (field_identifier) @data) @holder
    field: (field_identifier) @clear)
  arguments: (argument_list) @args
  (#eq? @clear "clear")) @call
