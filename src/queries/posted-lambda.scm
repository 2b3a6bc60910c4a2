; a completion handed to the io_context: post(ioc, [captures] ... { ... }), also asio's
; dispatch/defer, qualified or not (the lambda is the last argument)
(call_expression
  function: [(identifier) @fn (qualified_identifier name: (identifier) @fn)] @callee
  arguments: (argument_list . (_) @executor (lambda_expression) @lambda .)
  (#match? @fn "^(post|dispatch|defer)$")) @call
