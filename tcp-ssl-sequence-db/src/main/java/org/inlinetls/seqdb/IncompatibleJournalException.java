package org.inlinetls.seqdb;

/**
 * An existing journal file was written with another layout (a different version of the appliance, or another ring
 * capacity or checkpoint length): its flows cannot be continued with this configuration. The file is left as it was;
 * {@link FlowJournal#setAside} moves it out of the way.
 */
public final class IncompatibleJournalException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    public IncompatibleJournalException(final String message)
    {
        super(message);
    }
}
