package org.inlinetls.appliance.daemon;

import org.agrona.concurrent.Agent;

/**
 * An agent under another role name: {@code AgentRunner.startOnThread} names the thread after the role before it
 * starts, so workers running the same agent class get distinct thread names ({@code worker-0}, {@code worker-1}) and a
 * composite gets a short one.
 */
final class RoleNamedAgent implements Agent
{
    private final Agent delegate;
    private final String roleName;

    RoleNamedAgent(final Agent delegate, final String roleName)
    {
        this.delegate = delegate;
        this.roleName = roleName;
    }

    @Override
    public void onStart()
    {
        delegate.onStart();
    }

    @Override
    public int doWork() throws Exception
    {
        return delegate.doWork();
    }

    @Override
    public void onClose()
    {
        delegate.onClose();
    }

    @Override
    public String roleName()
    {
        return roleName;
    }
}
