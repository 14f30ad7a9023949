# Discrete LQR gains for BalanceControllerTests: the cartpole-rig and furuta equations of Sources/Simulation
# linearized at upright with the nominal parameters of simulators/cartpole-rig.yaml and furuta-balance.yaml,
# discretized with a zero-order hold at 100 Hz (the rig with one period of actuator latency in the state).
# The control law is u = -K z. Requires numpy and scipy.
import numpy as np, scipy.linalg as sl
def rig():
    g=9.81; M=0.45; m=0.08; l=0.15; bp=0.0005; bv=0.8; Fc=0.3; vc=0.005
    V=12; Kt=0.028; Ke=0.028; R=1.5; J=2e-6; r=0.00637
    a11=M+m+J/r**2; a12=m*l; a22=4/3*m*l*l
    Minv=np.linalg.inv([[a11,a12],[a12,a22]])
    # b = Bx*[x,xd,th,thd] + Bu*u
    Bx=np.array([[0,-(bv+Fc/vc+Kt*Ke/(R*r*r)),0,0],[0,0,m*g*l,-bp]])
    Bu=np.array([Kt*V/(R*r),0])
    acc=Minv@Bx; accu=Minv@Bu
    A=np.array([[0,1,0,0],acc[0],[0,0,0,1],acc[1]]); B=np.array([0,accu[0],0,accu[1]])
    return A,B
def furuta():
    g=9.81; mr=0.095; Lr=0.085; mp=0.024; Lp=0.129; Dr=0.0008; Dp=0.0002; R=8.4; Kt=0.042; Km=0.042
    a=mr*Lr**2/12+mp*Lr**2; b=mp*Lp**2/3; c=mp*Lr*Lp/2; d=mp*g*Lp/2
    # upright: alpha=pi+e; sin(alpha)=-e, cos=-1. state [th, thd, e, ed]
    # M=[[a, -c],[-c, b]]; r1 = tau - Dr thd ; r2 = -Dp ed - d sin(alpha) = -Dp ed + d e
    Minv=np.linalg.inv([[a,-c],[-c,b]])
    # tau = Kt(V - Km thd)/R
    Bx=np.array([[0,-(Dr+Kt*Km/R),0,0],[0,0,d,-Dp]]); Bu=np.array([Kt/R,0])
    acc=Minv@Bx; accu=Minv@Bu
    A=np.array([[0,1,0,0],acc[0],[0,0,0,1],acc[1]]); B=np.array([0,accu[0],0,accu[1]])
    return A,B
def dlqr(A,B,dt,Q,Rw,latency):
    n=A.shape[0]
    M=np.zeros((n+1,n+1)); M[:n,:n]=A*dt; M[:n,n]=B*dt
    E=sl.expm(M); Ad=E[:n,:n]; Bd=E[:n,n]
    if latency:
        Ad2=np.zeros((n+1,n+1)); Ad2[:n,:n]=Ad; Ad2[:n,n]=Bd
        Bd2=np.zeros(n+1); Bd2[n]=1
        Ad,Bd=Ad2,Bd2; Q=np.diag(list(np.diag(Q))+[0])
    Bd=Bd.reshape(-1,1)
    P=sl.solve_discrete_are(Ad,Bd,Q,np.array([[Rw]]))
    K=np.linalg.solve(Rw+Bd.T@P@Bd, Bd.T@P@Ad)
    return K
A, B = rig()
print("cartpole-rig K (x, xdot, theta, thetadot, u_prev):", dlqr(A,B,0.01,np.diag([10,1,10,1]),1.0,True))
A, B = furuta()
print("furuta K (theta, thetadot, alpha-pi, alphadot):", dlqr(A,B,0.01,np.diag([1,0.1,10,0.1]),0.01,False))
