"""Large downloads prepared in the background: a certificate ZIP, an XLSX report.

The domain that offers a download registers an :class:`~training.exports.services.Kind`
(what permission it needs, how to write the file); above a size, its page or endpoint
asks :func:`~training.exports.services.request_export` for an export row instead of
answering the file, and the ``exports.build`` task writes it under the instance folder.
"""
