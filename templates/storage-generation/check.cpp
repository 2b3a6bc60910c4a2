// memfix(storage-generation): the slot's torrent was removed after this job was
// submitted: report the job aborted and drop what it captured to deliver
if (!{{is}}({{storage}}, {{generation}}))
{
    {{error}}.ec = boost::asio::error::operation_aborted;
    {{resets}}
}
