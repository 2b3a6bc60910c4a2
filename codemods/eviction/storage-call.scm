; `<slot>-><method>(...)`: a disk I/O job calling its torrent's storage through the slot's pointer
(call_expression
  function: (field_expression
    argument: (_) @slot
    operator: "->"
    field: (field_identifier) @method)
  arguments: (argument_list) @args) @call
