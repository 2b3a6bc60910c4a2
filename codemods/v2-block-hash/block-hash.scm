; a SHA-256 block hash fed a span: <hasher>.update({<pointer>, <length>}) (shape.ts keeps the
; calls on a local declared hasher256 and follows <length> to what bounds it)
(call_expression
  function: (field_expression
    argument: (identifier) @hasher
    field: (field_identifier) @update)
  arguments: (argument_list
    .
    (initializer_list
      .
      (_) @pointer
      .
      (_) @length
      .)
    .)
  (#eq? @update "update")) @call
