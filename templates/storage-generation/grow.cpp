// memfix(storage-generation): the slot has a generation before anything can use it
{{grow}}({{slot}});
