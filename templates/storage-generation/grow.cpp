// memfix(storage-generation): the slot has a generation before it is filled
{{grow}}({{slot}});
